"""The options several commands share, each made by one function so that it reads the same everywhere."""

from __future__ import annotations

import typer

from gofix.versions.compare import MIN_CONFIDENCE


def model_option():
    return typer.Option(None, "--model", exists=True, dir_okay=False,
                        help="A tagger checkpoint (default: the bundled model).")


def rules_only_option():
    return typer.Option(False, "--rules-only", help="Use the rules only, no model.")


def judge_model_option():
    return typer.Option(None, "--model", exists=True, dir_okay=False,
                        help="A tagger checkpoint for the judge (default: the bundled model).")


def min_confidence_option(undecided: str):
    return typer.Option(
        MIN_CONFIDENCE, "--min-confidence", min=0.5, max=1.0,
        help=f"Least confidence for the judge to decide a tie; below it the region stays undecided {undecided}. "
             "On synthetic pairs the judge's verdicts at 0.8 or more were wrong 1.5% of the time, those below "
             "it 29%; the rules' verdicts (0.99) always pass.")


def seq2seq_option():
    return typer.Option(None, "--seq2seq", exists=True, dir_okay=False,
                        help="An encoder-decoder checkpoint whose proposals join the tagger's repair "
                             "candidates (default: none; the bundled one is seq2seq.pt in gofix/weights).")


def engine_option():
    return typer.Option("auto", "--engine", case_sensitive=False,
                        help="The KataGo network as judge of every repair and second look at every suspect: "
                             "auto (when a network is found), katago (required), none.")


def katago_model_option():
    return typer.Option(None, "--katago-model", dir_okay=False,
                        help="A KataGo network file (.bin.gz); default: the one the GOFIX_KATAGO_MODEL variable "
                             "names, gofix's cache (`gofix engine fetch`), KaTrain's models.")


def jobs_option():
    """--jobs/-j, the same on every command: worker processes, default 1, 0 for all cores."""
    return typer.Option(1, "--jobs", "-j", min=0, help="Worker processes (default 1; 0: all cores); output keeps "
                                                       "the input order.")


def limit_option(what: str):
    return typer.Option(None, "--limit", min=1, help=f"Only the first N {what} of the input (a sample).")


def quiet_option(what: str = "the summary line"):
    return typer.Option(False, "--quiet", "-q", help=f"Print only {what} (and what was unreadable or refused).")


def flag_threshold_option(alias: bool = False):
    return typer.Option(None, "--flag-threshold", min=0.0, max=1.0,
                        help="Suspicion at which the tagger flags a move (default: the model's calibrated one)"
                             + ("; --threshold is this one." if alias else "."))


def apply_threshold_option(alias: bool = False):
    return typer.Option(None, "--apply-threshold", min=0.0, max=1.0,
                        help="Confidence a repair needs to be applied (default: the model's calibrated one)"
                             + ("; --threshold is this one." if alias else "."))


def old_threshold_option():
    """The old --threshold, kept working (hidden): check's flag threshold, fix's and clean's apply threshold."""
    return typer.Option(None, "--threshold", min=0.0, max=1.0, hidden=True)


def force_option(what: str = "outputs"):
    return typer.Option(False, "--force", help=f"Overwrite {what} that exist and redo a finished run, or one "
                                               "with other options, into the same --out (default: refuse).")


def errors_per_game_option():
    return typer.Option(1, min=0, help="Errors in each corrupted game.")


def clean_share_option():
    return typer.Option(0.5, min=0.0, max=1.0, help="Share of games left clean.")


def mix_option():
    return typer.Option("default", help="Error mix: default, or real (order errors and late errors "
                        "up-weighted, like the real differences of real-dev).")

