# Reads an unzipped Keireki export bundle the way an R user does (base read.csv, haven::read_sav and
# haven::read_dta) and checks the STS file against what TraMineR's seqdef() requires. It writes what it found
# as a CSV of facts (what, file, column, key, value, is_na) that tests/webapp/exports/test_external_readers.py
# compares with README.txt, datapackage.json, codebook.md and the Parquet files of the same bundle.
#
# Usage: Rscript read_bundle.R <bundle dir> <facts.csv> <state alphabet, comma-separated>
# Needs a UTF-8 locale (LANG=C.UTF-8): in a C locale R turns non-ASCII text into "<U+XXXX>" escapes.

suppressPackageStartupMessages(library(haven))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3L) stop("usage: Rscript read_bundle.R <bundle dir> <facts.csv> <state alphabet>")
bundle <- args[[1]]
out <- args[[2]]
alphabet <- strsplit(args[[3]], ",", fixed = TRUE)[[1]]
if (!isTRUE(l10n_info()[["UTF-8"]])) stop("R runs in a non-UTF-8 locale; set LANG=C.UTF-8")

facts <- new.env()
facts$rows <- list()
fact <- function(what, file, column = "", key = "", value = NA) {
  value <- as.character(value)
  facts$rows[[length(facts$rows) + 1L]] <- c(what, file, column, as.character(key),
                                             if (is.na(value)) "" else value, if (is.na(value)) "1" else "0")
}
non_ascii <- function(x) !is.na(x) & is.na(iconv(x, "UTF-8", "ASCII"))

# ---- CSV files -------------------------------------------------------------------------------------------
readme <- readLines(file.path(bundle, "README.txt"), encoding = "UTF-8")
bom <- "CSV encoding: UTF-8 with byte-order mark" %in% readme
encoding <- if (bom) "UTF-8-BOM" else "UTF-8"
fact("csv_encoding", "README.txt", value = encoding)

csv_files <- sort(list.files(bundle, pattern = "\\.csv$"))
for (name in csv_files) {
  path <- file.path(bundle, name)
  # As text: what the file says, cell by cell (codes such as prefecture "04" keep their zero).
  text <- read.csv(path, fileEncoding = encoding, colClasses = "character", na.strings = "",
                   check.names = FALSE)
  # As R guesses types by default: numbers must come out numeric, true/false logical.
  typed <- read.csv(path, fileEncoding = encoding, na.strings = "", check.names = FALSE)
  fact("csv_rows", name, value = nrow(text))
  fact("csv_header", name, value = paste(names(text), collapse = ","))
  # With no encoding given at all (R in a UTF-8 locale skips a byte-order mark by itself).
  default_names <- names(read.csv(path, nrows = 1L, check.names = FALSE))
  fact("csv_header_default", name, value = paste(default_names, collapse = ","))
  if (name == "sequences_sts.csv") next
  for (column in names(text)) {
    fact("csv_class", name, column, value = class(typed[[column]])[[1]])
    cells <- text[[column]]
    # read.csv (type.convert) guesses only TRUE/FALSE/T/F as logical: "true"/"false" stay text until as.logical().
    fact("csv_as_logical", name, column, value = !anyNA(as.logical(cells[!is.na(cells)])))
    for (i in which(non_ascii(cells))) fact("csv_cell", name, column, i, cells[[i]])
  }
}

# ---- SPSS and Stata files --------------------------------------------------------------------------------
cell_text <- function(x) {
  if (!is.null(attr(x, "labels", exact = TRUE))) return(as.character(as_factor(x, levels = "labels")))
  if (is.numeric(x)) return(ifelse(is.na(x), NA, format(x, digits = 15, trim = TRUE)))
  as.character(x)
}
stat_files <- sort(list.files(bundle, pattern = "\\.(sav|dta)$"))
for (name in stat_files) {
  data <- if (endsWith(name, ".sav")) read_sav(file.path(bundle, name)) else read_dta(file.path(bundle, name))
  fact("stat_rows", name, value = nrow(data))
  fact("stat_file_label", name, value = attr(data, "label", exact = TRUE))
  for (column in names(data)) {
    x <- data[[column]]
    fact("var_label", name, column, value = attr(x, "label", exact = TRUE))
    labels <- attr(x, "labels", exact = TRUE)
    for (i in seq_along(labels)) fact("value_label", name, column, format(unname(labels[[i]])), names(labels)[[i]])
    cells <- cell_text(x)
    for (i in seq_along(cells)) fact("stat_cell", name, column, i, cells[[i]])
  }
}

# ---- The STS file and TraMineR's seqdef() -----------------------------------------------------------------
# TraMineR is not on CRAN's Debian mirror and CRAN is out of reach here, so seqdef() itself is not run.
# seqdef_problems() mirrors what seqdef(data, var = month columns, id = participant codes, alphabet = states,
# missing = "*", void = "%", nr = "*") does with a file, from TraMineR's source (cran/TraMineR on GitHub,
# R/seqdef.R at commit dca9165834d26c71cf8f1afc1fb4ae05f04cc663; the helpers at the commits named below), and
# returns why that call would fail or silently change the sequences (none: character(0)).
seqdef_problems <- function(data, var, alphabet, id, missing = "*", void = "%", nr = "*") {
  problems <- character(0)
  add <- function(...) problems <<- c(problems, paste0(...))
  # seqdef.R l.15: `if (!is.character(void) || void %in% c(left,gaps,right))` (left = NA, gaps = NA,
  # right = "DEL" by default): void must not be a code seqprep gives missing elements.
  if (!is.character(void) || void %in% c(NA, NA, "DEL")) add("void must be a character other than left/gaps/right")
  seqdata <- as.matrix(data[, var, drop = FALSE])  # seqdef.R l.21 seqxtract(data, var, data.frame=TRUE)
  # seqdef.R l.26-36 and R/seqfcheck.R (commit 8cd726cb054deedcecec40ef16e0c87b8cf32bfa): STS input whose
  # states contain "-" (or ":" when there is only one column) is taken for the compressed "a-b-c" format and
  # split (seqdecomp).
  if (length(grep("-", seqdata, fixed = TRUE)) > 0) add("a state contains '-' (read as compressed STS)")
  if (ncol(seqdata) == 1L && length(grep(":", seqdata, fixed = TRUE)) > 0) add("a state contains ':'")
  # Empty cells are NA: with missing = "*" they are neither a state nor missing; seqdef's factor coding
  # (`match(x, c(A, nr, void))`, seqdef.R "Much faster way proposed by Jouni Helske") leaves them NA.
  if (anyNA(seqdata)) add("empty cells in the month columns: ", sum(is.na(seqdata)))
  # seqdef.R l.59-62 with R/seqstatl.R (commit 4b085adef8f3723a740350c4907eccc0c36bdce0): the states found
  # are sort(unique(cells)) minus missing and void ...
  statl <- sort(unique(as.vector(seqdata)))
  statl <- statl[!statl == missing & !statl == void]
  # ... and l.64-71: `if (any(statl %in% alphabet==FALSE)) stop("one or more states appearing in the data
  # not included in 'alphabet'")`.
  unknown <- setdiff(statl, alphabet)
  if (length(unknown)) add("states not in the alphabet: ", paste(unknown, collapse = ", "))
  # The factor levels are c(alphabet, nr, void): a state equal to nr or void would be a duplicated level.
  if (any(c(nr, void) %in% alphabet)) add("nr or void is also a state of the alphabet")
  # seqdef.R l.81-84: any missing element sends the data through seqprep(left = NA, gaps = NA,
  # right = "DEL"; R/seqprep.R, commit 066840e71e7e2cbafa0da5c25b4b9d5ebe5f90e3), whose TraMineR.trunc
  # (R/TraMineR-trunc.R, commit 320b9f7eb8833a460d81b79bffdda22715abd43d) then moves every
  # void element to the end of its row (`seqdata.trunc[seqdata.trunc!=void]` then `rep(void,ndel)`), so a
  # void inside a sequence would silently shift the months after it. Void must therefore be trailing only.
  # Missing ("*", a month no episode covers) may only be inside: the bundle starts and ends every
  # sequence with an episode, and with left = NA a leading "*" would stay a missing state in TraMineR.
  for (i in seq_len(nrow(seqdata))) {
    row <- seqdata[i, ]
    voids <- which(row == void)
    if (length(voids) && any(voids != seq.int(length(row) - length(voids) + 1L, length(row)))) {
      add(id[[i]], ": void '", void, "' before the end of the sequence")
    }
    used <- row[is.na(row) | row != void]
    if (!length(used)) {
      add(id[[i]], ": empty sequence (void only)")
    } else if (isTRUE(used[[1]] == missing) || isTRUE(used[[length(used)]] == missing)) {
      add(id[[i]], ": starts or ends with a gap")
    }
  }
  # seqdef.R, the `id` block: `rownames(seqdata) <- id`; a data frame refuses duplicated row names.
  if (anyDuplicated(id)) add("duplicated ids: ", paste(unique(id[duplicated(id)]), collapse = ", "))
  # The longest sequence fills the last column (else the file has all-void columns).
  if (nrow(seqdata) && all(seqdata[, ncol(seqdata)] == void, na.rm = TRUE)) {
    add("the last month column is all void")
  }
  problems
}

# R/seqlength.R (commit 7673c3c1e79cc193d715378a3de371b7648d6e23): `ncol(seqdata)-rowSums(seqdata==void)`.
seqdef_lengths <- function(data, var, void = "%") ncol(data[, var, drop = FALSE]) - rowSums(data[, var] == void)

# The STS rows against the SPELL file: each spell's months hold its state; months no spell covers are "*".
spell_problems <- function(sts, var, spells, missing = "*", void = "%") {
  problems <- character(0)
  if (!setequal(sts$participant_code, spells$participant_code)) {
    problems <- c(problems, "participants of the STS and SPELL files differ")
  }
  for (i in seq_len(nrow(sts))) {
    code <- sts$participant_code[[i]]
    own <- spells[spells$participant_code == code, ]
    if (!nrow(own)) next
    first <- min(own$begin)
    expected <- rep(missing, max(own$end) - first + 1L)
    for (j in seq_len(nrow(own))) {
      expected[(own$begin[[j]] - first + 1L):(own$end[[j]] - first + 1L)] <- own$status[[j]]
    }
    row <- unname(unlist(sts[i, var]))
    got <- row[row != void]
    if (!identical(got, expected)) problems <- c(problems, paste0(code, ": STS months differ from its SPELL rows"))
  }
  problems
}

sts <- read.csv(file.path(bundle, "sequences_sts.csv"), fileEncoding = encoding, colClasses = "character",
                na.strings = "", check.names = FALSE)
months <- 2:ncol(sts)
spells <- read.csv(file.path(bundle, "sequences_spell.csv"), fileEncoding = encoding, na.strings = "",
                   colClasses = c("character", "integer", "integer", "character"))
for (problem in seqdef_problems(sts, months, alphabet, sts$participant_code)) {
  fact("sts_problem", "sequences_sts.csv", value = problem)
}
for (problem in spell_problems(sts, months, spells)) fact("sts_problem", "sequences_spell.csv", value = problem)
lengths <- seqdef_lengths(sts, months)
for (i in seq_len(nrow(sts))) {
  fact("sts_length", "sequences_sts.csv", key = sts$participant_code[[i]], value = lengths[[i]])
}
states <- sort(unique(as.vector(as.matrix(sts[, months]))))
fact("sts_states", "sequences_sts.csv", value = paste(states[!states %in% c("*", "%")], collapse = ","))

table <- do.call(rbind, facts$rows)
colnames(table) <- c("what", "file", "column", "key", "value", "is_na")
write.csv(as.data.frame(table, stringsAsFactors = FALSE), out, row.names = FALSE, fileEncoding = "UTF-8")
