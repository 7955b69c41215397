# The TraMineR calls docs/exports.md shows, run on an exported bundle (working directory: the unzipped
# bundle). Prints "key: value" lines that tests/webapp/exports/test_external_readers.py reads, and
# everything TraMineR itself prints (messages go to stderr; the test keeps both for the docs).
enc <- if (any(grepl("byte-order mark", readLines("README.txt", encoding = "UTF-8")))) "UTF-8-BOM" else "UTF-8"
library(TraMineR)
cat("traminer:", as.character(packageVersion("TraMineR")), "\n")

# docs/exports.md, "TraMineR": seqdef on the STS file
sts <- read.csv("sequences_sts.csv", fileEncoding = enc, colClasses = "character", na.strings = "")
states <- c("home_work", "home_study", "pre_departure", "ti", "esd", "ssw", "eng_hum",
            "student_jp", "other_jp", "unemployed", "abroad_other")   # the codebook's "state" list
seq <- seqdef(sts, var = 2:ncol(sts), id = sts$participant_code, alphabet = states,
              missing = "*", void = "%", nr = "*")
cat("sequences:", nrow(seq), "\n")
cat("months:", sum(seqlength(seq)), "\n")
cat("gaps:", sum(seq == "*"), "\n")

# docs/exports.md, "TraMineR": SPELL -> STS (one run of months per row; begin/end are month indexes)
spell <- read.csv("sequences_spell.csv", fileEncoding = enc, na.strings = "")
from_spell <- seqformat(spell, from = "SPELL", to = "STS", id = "participant_code", begin = "begin",
                        end = "end", status = "status", process = TRUE, pdata = "auto", limit = ncol(sts) - 1)
cat("spell_sequences:", nrow(from_spell), "\n")
same <- 0
for (i in seq_len(nrow(sts))) {
  a <- as.character(unlist(sts[i, -1])); a <- a[a != "%"]; a[a == "*"] <- NA
  b <- as.character(unlist(from_spell[sts$participant_code[i], ])); b <- b[seq_along(a)]
  if (identical(is.na(a), is.na(b)) && all(a == b, na.rm = TRUE)) same <- same + 1
}
cat("spell_rows_equal_to_sts:", same, "\n")

# docs/exports.md, "Gap states": optimal matching with transition rates, gaps accepted
costs <- seqsubm(seq, method = "TRATE", with.missing = TRUE)
dist <- seqdist(seq, method = "OM", sm = costs, indel = 1, with.missing = TRUE)
cat("dist:", paste(dim(dist), collapse = "x"), "\n")
cat("dist_finite:", all(is.finite(dist)), "\n")
without <- tryCatch({seqdist(seq, method = "OM", sm = "TRATE", indel = 1); "ran"},
                    error = function(e) paste("error:", conditionMessage(e)))
cat("without_with_missing:", gsub("\n", " ", without), "\n")
