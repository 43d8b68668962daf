#' rbpattn: R interface to librbpattn through .Call glue (src/rbpattn.c).

new_model <- function(ptr) structure(list(ptr = ptr), class = "rbp_model")

#' Load a model saved by rbpattn-train --save (or the Python package's Model.save, or
#' rbp_save_model), or a bundled model by name ("PUM2"; rbpattn-info --list shows them).
rbp_load_model <- function(path) new_model(.Call(rbp_r_load, path.expand(path)))

#' Save a model (configuration, weights, metadata) atomically.
rbp_save_model <- function(model, path) invisible(.Call(rbp_r_save, model$ptr, path.expand(path)))

#' Free a model's C memory now (otherwise its finalizer does, when R collects it); later use is an error.
rbp_free_model <- function(model) invisible(.Call(rbp_r_free, model$ptr))

#' Train a model on a labelled FASTA file ("class:0" / "class:1" in the headers).
#' Options: d_model, n_heads, n_layers, d_ff, head_hidden, dropout, pooling ("flatten", "mean",
#' "max"), seed, epochs, batch_size, lr, schedule ("transformer", "constant", "cosine"),
#' warmup_steps; the others keep the library's defaults. members = N > 1 trains N models with
#' seeds seed, seed + 1, ... (seed defaults to 1) and returns their ensemble (rbp_ensemble).
rbp_train <- function(fasta, seq_len = 101L, ..., members = 1L) {
  if (length(members) != 1L || is.na(members) || members != round(members) || members < 1 || members > 64)
    stop("members: expected one whole number in 1..64")
  opts <- list(...)
  one <- function(o) new_model(.Call(rbp_r_train, path.expand(fasta), as.integer(seq_len), o))
  if (members == 1) return(one(opts))
  seed <- if (is.null(opts$seed)) 1 else opts$seed
  parts <- lapply(seq.int(0L, as.integer(members) - 1L), function(i) one(modifyList(opts, list(seed = seed + i))))
  ens <- rbp_ensemble(parts)
  for (p in parts) rbp_free_model(p)
  ens
}

#' Scores of sequences (a character vector): probabilities, or logits with logits = TRUE.
predict.rbp_model <- function(object, newdata, logits = FALSE, threads = 1L, ...) {
  .Call(rbp_r_predict, object$ptr, as.character(newdata), isTRUE(logits), as.integer(threads))
}

#' Attention weights of one sequence: an array [layer, head, query, key].
attention <- function(model, seq) {
  cfg <- rbp_config(model)
  a <- .Call(rbp_r_attention, model$ptr, as.character(seq))
  # C writes (layers, heads, L, L) row-major: reverse the dimensions for R's column-major order.
  aperm(array(a, dim = c(cfg$seq_len, cfg$seq_len, cfg$n_heads, cfg$n_layers)), 4:1)
}

#' Gradient x input saliency: a matrix [sequence, position].
saliency <- function(model, seqs) {
  seqs <- as.character(seqs)
  s <- .Call(rbp_r_saliency, model$ptr, seqs)
  matrix(s, nrow = length(seqs), byrow = TRUE)
}

#' Model metadata as a named list (empty for a library without metadata).
rbp_metadata <- function(model) .Call(rbp_r_metadata, model$ptr)

#' An ensemble of models of one architecture (e.g. trained with other seeds): it predicts the
#' mean of its members' logits; attention and saliency are the means of theirs.
rbp_ensemble <- function(models) new_model(.Call(rbp_r_ensemble, lapply(models, function(m) m$ptr)))

#' Model configuration as a named list (num_members: 1, or an ensemble's members).
rbp_config <- function(model) .Call(rbp_r_config, model$ptr)

#' Version of the loaded librbpattn.
rbp_version <- function() .Call(rbp_r_version)

print.rbp_model <- function(x, ...) {
  cfg <- rbp_config(x)
  cat(sprintf("<rbp_model %s L=%d d=%d heads=%d layers=%d params=%d>\n", cfg$task, cfg$seq_len, cfg$d_model,
              cfg$n_heads, cfg$n_layers, cfg$num_params))
  invisible(x)
}
