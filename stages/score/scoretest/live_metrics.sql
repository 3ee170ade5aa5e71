-- ConvCodeWorld live metrics (protocol.md §6) written as one SQL query,
-- independently of the Go code in stages/score, to check metrics.parquet.
--
-- Inputs, created by the caller (see LiveSQL):
--   turns        the rows of turns.parquet (a view over read_parquet)
--   spec         one row: experiment, stage (resolved), turns (N),
--                rerun_solved, exclude_init_solved
--   spec_combos  ord, name, label: the combinations in column order
--   spec_tasks   task_id: the task set; empty means the tasks in the rows
-- Output: metrics.parquet's columns, in its row order.
--
-- Rules: s(i) is the row's passed; a turn without a row after the task's
-- last earlier row passed carries the pass forward; any other turn
-- without a row is missing and counts as not passing (with rerun_solved,
-- a carried pass is missing too). A task with any excluded row is left
-- out of every mean. exclude_init_solved drops tasks whose turn 0 passed
-- from mrr and recall only.
WITH
scored AS (
  SELECT t.combination, t.task_id, t.turn, t.passed, t.excluded
  FROM turns t JOIN spec p ON t.experiment = p.experiment AND t.stage = p.stage
),
tasks AS (
  SELECT task_id FROM spec_tasks
  UNION
  SELECT DISTINCT task_id FROM scored WHERE NOT EXISTS (SELECT 1 FROM spec_tasks)
),
excluded_tasks AS (
  SELECT DISTINCT task_id FROM scored WHERE excluded
),
turn_numbers AS (
  SELECT unnest(range(0, turns + 1)) AS turn FROM spec
),
cells AS (
  SELECT c.ord, k.task_id, n.turn,
    here.passed AS here,
    (SELECT arg_max(b.passed, b.turn) FROM scored b
      WHERE b.combination = c.name AND b.task_id = k.task_id AND b.turn < n.turn) AS before
  FROM spec_combos c CROSS JOIN tasks k CROSS JOIN turn_numbers n
  LEFT JOIN scored here ON here.combination = c.name AND here.task_id = k.task_id AND here.turn = n.turn
),
status AS (
  SELECT ord, task_id, turn,
    coalesce(here, before, false) AS s,
    here IS NULL AND (before IS NULL OR NOT before OR (SELECT rerun_solved FROM spec)) AS miss
  FROM cells
),
per_task AS (
  SELECT ord, task_id,
    bool_or(s) FILTER (WHERE turn = 0) AS s0,
    min(turn) FILTER (WHERE s) AS first_pass,
    bool_or(miss) AS miss,
    task_id IN (SELECT task_id FROM excluded_tasks) AS ex
  FROM status GROUP BY ord, task_id
),
kept AS (
  SELECT *, NOT ex AND NOT ((SELECT exclude_init_solved FROM spec) AND s0) AS keep FROM per_task
),
per_turn AS (
  SELECT st.ord, st.turn,
    avg(CASE WHEN st.s OR k.s0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE NOT k.ex) AS literal,
    avg(CASE WHEN k.first_pass <= st.turn THEN 1.0 ELSE 0.0 END) FILTER (WHERE NOT k.ex) AS cumulative,
    count(*) FILTER (WHERE NOT k.ex) AS tasks,
    count(*) AS total,
    count(*) FILTER (WHERE k.ex) AS excluded,
    count(*) FILTER (WHERE NOT k.ex AND k.miss) AS missing
  FROM status st JOIN kept k ON k.ord = st.ord AND k.task_id = st.task_id
  GROUP BY st.ord, st.turn
),
per_combination AS (
  SELECT ord,
    avg(CASE WHEN first_pass IS NULL THEN 0.0 ELSE 1.0 / (1 + first_pass) END) FILTER (WHERE keep) AS mrr,
    avg(CASE WHEN first_pass IS NULL THEN 0.0 ELSE 1.0 END) FILTER (WHERE keep) AS recall,
    count(*) FILTER (WHERE keep) AS tasks,
    count(*) AS total,
    count(*) FILTER (WHERE ex) AS excluded,
    count(*) FILTER (WHERE NOT ex AND NOT keep) AS dropped,
    count(*) FILTER (WHERE keep AND miss) AS missing
  FROM kept GROUP BY ord
),
figures AS (
  SELECT ord, 0 AS metric_ord, 'pass@1' AS metric, turn, literal AS value, tasks, total, excluded, 0 AS dropped, missing FROM per_turn
  UNION ALL
  SELECT ord, 1, 'pass@1_cumulative', turn, cumulative, tasks, total, excluded, 0, missing FROM per_turn
  UNION ALL
  SELECT ord, 2, 'mrr', NULL, mrr, tasks, total, excluded, dropped, missing FROM per_combination
  UNION ALL
  SELECT ord, 3, 'recall', NULL, recall, tasks, total, excluded, dropped, missing FROM per_combination
)
SELECT p.experiment, 'live' AS protocol, p.stage, c.name AS combination, c.label, f.metric,
  CAST(f.turn AS INTEGER) AS turn, CAST(f.value AS DOUBLE) AS value,
  CAST(f.tasks AS BIGINT) AS tasks, CAST(f.total AS BIGINT) AS total, CAST(f.excluded AS BIGINT) AS excluded,
  CAST(f.dropped AS BIGINT) AS dropped, CAST(f.missing AS BIGINT) AS missing,
  CASE WHEN p.exclude_init_solved THEN 'exclude_init_solved' ELSE '' END AS options
FROM figures f JOIN spec_combos c ON c.ord = f.ord CROSS JOIN spec p
ORDER BY f.ord, f.metric_ord, f.turn
