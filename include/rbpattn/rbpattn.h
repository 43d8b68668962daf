/**
 * @file
 * rbpattn/rbpattn.h - the umbrella header: include this one.
 *
 * Layers, bottom to top: common (status, errors, version, logging) -> dataset (reading and
 * encoding) -> model (the encoder, checkpoints) -> session (inference, attention) -> train (losses,
 * optimizers, schedules, trainer) ; metrics (evaluation), motif (PWMs from a session) and
 * atomic_file beside. The figures
 * (rbpattn/plot.h) are a separate library, librbpattn-plot: include that header yourself and
 * link -lrbpattn-plot (pkg-config rbpattn-plot, CMake rbpattn::plot).
 */
#ifndef RBPATTN_RBPATTN_H
#define RBPATTN_RBPATTN_H

#include "rbpattn/version.h"
#include "rbpattn/common.h"
#include "rbpattn/atomic_file.h"
#include "rbpattn/dataset.h"
#include "rbpattn/model.h"
#include "rbpattn/session.h"
#include "rbpattn/scan.h"
#include "rbpattn/train.h"
#include "rbpattn/preset.h"
#include "rbpattn/metrics.h"
#include "rbpattn/attention.h"
#include "rbpattn/metadata.h"
#include "rbpattn/motif.h"

#endif /* RBPATTN_RBPATTN_H */
