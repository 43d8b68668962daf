# Run by ctest (tests/r_package.sh) with RBPATTN_SOURCE_DIR set, and RBPATTN_PREDICT naming
# rbpattn-predict for the comparison with the C program.
src <- Sys.getenv("RBPATTN_SOURCE_DIR", "../../..")
fasta <- file.path(src, "tests", "data", "rbp31", "PUM2_training_sample_0_first200.fa.gz")
model <- rbp_train(fasta, seq_len = 101L, d_model = 16, n_heads = 2, n_layers = 1, d_ff = 32, head_hidden = 16,
                   pooling = "max", dropout = 0, epochs = 2, batch_size = 32, schedule = "constant", lr = 3e-3,
                   warmup_steps = 0)
seqs <- c("GGUGUAUAUAGCAUUGUACAUA", "ACGCGCGCGAUAUCGAGG", "UUUUUUUUUU")

test_that("the library and the model describe themselves", {
  expect_match(rbp_version(), "^[0-9]+\\.[0-9]+\\.[0-9]+$")
  cfg <- rbp_config(model)
  expect_equal(cfg$seq_len, 101L)
  expect_equal(cfg$task, "classification")
  expect_gt(cfg$num_params, 0)
  expect_output(print(model), "rbp_model classification L=101")
  md <- rbp_metadata(model)
  expect_type(md, "list")
  expect_equal(md[["encoding.length"]], 101) # recorded by rbp_train
})

test_that("predict returns one probability per sequence", {
  p <- predict(model, seqs)
  expect_type(p, "double")
  expect_length(p, 3)
  expect_true(all(p > 0 & p < 1))
  expect_equal(plogis(predict(model, seqs, logits = TRUE)), p, tolerance = 1e-6)
  expect_identical(predict(model, seqs, threads = 2L), p)
})

test_that("attention is an array [layer, head, query, key] with rows summing to 1", {
  a <- attention(model, seqs[1])
  expect_equal(dim(a), c(1L, 2L, 101L, 101L))
  n <- nchar(seqs[1])
  expect_equal(apply(a[1, 1, 1:n, ], 1, sum), rep(1, n), tolerance = 1e-5)
  expect_true(all(a[1, , , (n + 1):101] == 0)) # padded keys
})

test_that("saliency is a matrix [sequence, position], zero on padding", {
  s <- saliency(model, seqs)
  expect_equal(dim(s), c(3L, 101L))
  expect_true(all(s[3, 11:101] == 0))
  expect_true(any(s[3, 1:10] != 0))
})

test_that("save and load round-trip", {
  path <- tempfile(fileext = ".rbp")
  rbp_save_model(model, path)
  m2 <- rbp_load_model(path)
  expect_identical(predict(m2, seqs), predict(model, seqs))
  expect_equal(rbp_metadata(m2)[["rbpattn.version"]], rbp_version()) # written by the save
  rbp_free_model(m2)
  rbp_free_model(m2) # twice is fine
  expect_error(predict(m2, seqs), "freed")
  unlink(path)
})

test_that("an ensemble predicts the mean logit of its members", {
  path <- tempfile(fileext = ".rbp")
  rbp_save_model(model, path)
  twin <- rbp_load_model(path)
  ens <- rbp_ensemble(list(model, twin))
  expect_equal(rbp_config(ens)$num_members, 2L)
  expect_equal(rbp_config(model)$num_members, 1L)
  expect_equal(predict(ens, seqs, logits = TRUE), predict(model, seqs, logits = TRUE), tolerance = 1e-6)
  expect_equal(rbp_metadata(ens)[["ensemble.members"]], 2)
  expect_error(rbp_ensemble(list()), "list of 1")
  rbp_free_model(ens)
  rbp_free_model(twin)
  unlink(path)
})

test_that("rbp_train(members = 2) is the ensemble of the runs with seeds 1 and 2", {
  args <- list(fasta, seq_len = 40L, d_model = 8, n_heads = 2, n_layers = 1, d_ff = 16, head_hidden = 8,
               pooling = "max", epochs = 1, batch_size = 32, schedule = "constant", lr = 3e-3, warmup_steps = 0)
  ens <- do.call(rbp_train, c(args, members = 2))
  expect_equal(rbp_config(ens)$num_members, 2L)
  s1 <- do.call(rbp_train, c(args, seed = 1))
  s2 <- do.call(rbp_train, c(args, seed = 2))
  both <- rbp_ensemble(list(s1, s2))
  expect_identical(predict(ens, seqs, logits = TRUE), predict(both, seqs, logits = TRUE))
  expect_false(identical(predict(s1, seqs), predict(s2, seqs)))
  expect_error(rbp_train(fasta, members = 0), "members")
  for (m in list(ens, s1, s2, both)) rbp_free_model(m)
})

test_that("errors carry the library's message", {
  expect_error(rbp_load_model("/nonexistent/model.rbp"), "/nonexistent/model.rbp")
  expect_error(rbp_load_model("NoSuchProtein"), "no bundled model named 'NoSuchProtein'")
  bundled <- rbp_load_model("ago1-4")  # models/rbp31/AGO1-4.rbp, by name in any case
  expect_equal(rbp_metadata(bundled)$name, "AGO1-4")
  expect_error(predict(model, c("ACGU", "ACXU")), "sequences\\[1\\]")
  expect_error(predict(model, character(0)), "non-empty")
  expect_error(rbp_train("/nonexistent.fa"), "nonexistent")
  expect_error(rbp_train(fasta, d_model = 30, n_heads = 4, epochs = 1), "d_model \\(--d-model\\) is not a multiple of n_heads")
  expect_error(rbp_train(fasta, pooling = "sum"), "unknown value 'sum'")
  expect_error(rbp_train(fasta, layers = 2), "unknown option 'layers'")
  expect_error(attention(model, seqs), "one string")
})

test_that("finalizers free models (no growth over 2,000 loads)", {
  # R's collector does not see the C memory behind an external pointer, so it is run here
  # every 100 loads, as R would run it under allocation pressure of its own.
  path <- tempfile(fileext = ".rbp")
  rbp_save_model(model, path)
  for (i in 1:200) invisible(rbp_load_model(path))
  gc()
  rss <- function() as.numeric(strsplit(readLines("/proc/self/statm"), " ")[[1]][2]) * 4
  before <- rss()
  for (i in 1:2000) {
    invisible(predict(rbp_load_model(path), "ACGU"))
    if (i %% 100 == 0) gc()
  }
  gc()
  # KiB: heap fragmentation alone was measured up to 3.6 MiB; one leaked model (~12 KB + its
  # session) per load would be > 20 MB
  expect_lt(rss() - before, 10240)
  unlink(path)
})

test_that("scores equal rbpattn-predict's on the same model and file", {
  prog <- Sys.getenv("RBPATTN_PREDICT")
  skip_if(prog == "", "RBPATTN_PREDICT not set")
  path <- tempfile(fileext = ".rbp")
  rbp_save_model(model, path)
  tsv <- read.delim(text = system2(prog, c("-m", path, "--quiet", fasta), stdout = TRUE),
                    colClasses = c("character", "character"))
  con <- gzfile(fasta)
  fa <- readLines(con)
  close(con)
  headers <- grep("^>", fa)
  seqs <- vapply(seq_along(headers), function(i) {
    end <- if (i < length(headers)) headers[i + 1] - 1 else length(fa)
    paste(fa[(headers[i] + 1):end], collapse = "")
  }, "")
  # R's doubles hold the float32 scores exactly, so the same %.9g text means the same float.
  expect_identical(sprintf("%.9g", predict(rbp_load_model(path), seqs)), tsv$score)
  unlink(path)
})
