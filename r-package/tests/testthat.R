library(testthat)
library(rbpattn)
test_check("rbpattn")
