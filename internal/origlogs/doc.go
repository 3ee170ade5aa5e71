// Package origlogs owns the log files of the original ConvCodeWorld
// (protocol.md §7): the names of its per-turn jsonl files and their
// _eval_results.json evaluations, reading a directory of them into ccw's
// turn rows (ccw import convcodeworld), and writing ccw turn rows in that
// format (for fixtures, and to hand a ccw run to the original's scripts).
//
// Reading keeps the original's quirks visible instead of hiding them:
// feedback fields that are null stay null; a module-level failure is the
// detail "ALL" (its message without traceback), kept as a test named ALL;
// a task the denylist stopped (its log is the marker "# CRITICAL ERROR
// WHILE EXECUTING THE GENERATED CODE", or its solution was commented out in
// place) is noted in the row's output; a turn-0 evaluation whose solution
// carries the calibration prefix (code_prompt, a pass body, then the
// solution) is matched to the logged solution, which becomes the row's
// code, because that is what the next turn starts from.
//
// It does not own the benchmark's protocol (pipelines/convcodeworld.hcl),
// the rendering of feedback (stages/execfeedback) or ccw's own file
// formats (schemas).
package origlogs
