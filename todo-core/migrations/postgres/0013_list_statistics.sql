-- How many tasks the planner expects in one list, whatever list it is (benches/README.md, "Shared lists: the read
-- routes before and after").
--
-- `GET /tasks` across every list reads each list's page in a `LATERAL` subquery whose list id comes from the outer
-- row, so PostgreSQL can only guess that list's size: rows / n_distinct(list_id). On a table with few lists (a new
-- or small instance, the benchmarks) that guess is half the table, and scanning `tasks_pkey` backwards and
-- filtering on `list_id` then looks as cheap as `tasks_by_list`; for a small list among large ones it reads the
-- whole table (21 ms instead of 0.09 ms for 50 of 1,000 tasks next to 110,000 others). The same guess makes a
-- generic plan of the one-list page do that too. Saying that a list holds about 200 tasks (list ids are 0.5% of
-- the rows) makes every range scan of a list take an index that starts with `list_id`; the planner still uses the
-- most common values it samples for a list id it is given.
ALTER TABLE tasks ALTER COLUMN list_id SET (n_distinct = -0.005);
ANALYZE tasks;
