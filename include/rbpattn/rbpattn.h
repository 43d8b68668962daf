/*
 * rbpattn/rbpattn.h - the umbrella header: include this one.
 *
 * Layers, bottom to top: common (status, errors, version, logging) -> dataset (reading and
 * encoding) -> model (the encoder, inference, attention, checkpoints) -> train (losses,
 * optimizers, schedules, trainer) ; metrics (evaluation) and plot (PNG/SVG pictures) beside.
 */
#ifndef RBPATTN_RBPATTN_H
#define RBPATTN_RBPATTN_H

#include "rbpattn/version.h"
#include "rbpattn/common.h"
#include "rbpattn/dataset.h"
#include "rbpattn/model.h"
#include "rbpattn/train.h"
#include "rbpattn/metrics.h"
#include "rbpattn/plot.h"
#include "rbpattn/attention.h"
#include "rbpattn/metadata.h"

#endif /* RBPATTN_RBPATTN_H */
