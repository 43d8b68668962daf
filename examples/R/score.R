# Train a small model on the bundled PUM2 sample, score the test windows, read attention.
#   sh: cmake --install build --prefix $HOME/rbp && PKG_CONFIG_PATH=$HOME/rbp/lib/pkgconfig \
#       R CMD INSTALL r-package && Rscript examples/R/score.R   (from the repository root)
library(rbpattn)
model <- rbp_train("data/pum2/train.fa.gz", seq_len = 101L, d_model = 32, n_heads = 2, n_layers = 1, d_ff = 64,
                   head_hidden = 32, pooling = "max", epochs = 2, schedule = "constant", lr = 1e-3,
                   warmup_steps = 100)
print(model)
con <- gzfile("data/pum2/test.fa.gz")
fa <- readLines(con)
close(con)
headers <- grep("^>", fa)
seqs <- vapply(seq_along(headers), function(i) {
  end <- if (i < length(headers)) headers[i + 1] - 1 else length(fa)
  paste(fa[(headers[i] + 1):end], collapse = "")
}, "")
labels <- as.integer(sub(".*class:([01]).*", "\\1", fa[headers]))
scores <- predict(model, seqs, threads = 2L)
# ROC AUC by the rank-sum formula
r <- rank(scores)
n1 <- sum(labels == 1)
n0 <- sum(labels == 0)
cat(sprintf("test ROC AUC %.3f over %d windows\n", (sum(r[labels == 1]) - n1 * (n1 + 1) / 2) / (n1 * n0), length(seqs)))
best <- which.max(scores)
a <- attention(model, seqs[best])
cat(sprintf("best window %s (score %.3f): attention dim %s\n", fa[headers[best]], scores[best],
            paste(dim(a), collapse = " x ")))
rbp_save_model(model, "pum2_r.rbp")
