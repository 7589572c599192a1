"""Plans, the catalog mirror, and the one Linode server each customer buys.

Where things live:

- `models`: Plan, the catalog mirror, Server, Operation (the outbox),
  Transition (the audit trail), Finding, JobRun, the create limiter's rows.
- `services` (writes) and `selectors` (reads): what the web and the admin call.
- `states`: the only code that changes `Server.state`, by guarded UPDATE.
- `outbox`: queueing, sending, claiming and finishing operations.
- `executors`: what each operation kind does against the Linode API.
- `tracking`, `sweep`, `reconcile`, `catalog`: the periodic jobs, run by the
  thin Celery tasks in `tasks` on the beat schedule in `reseller/celery.py`.
- `limiter`: the create-rate limiter shared by all workers, in the database.
- `labels`, `linode`, `linode_lookup`: Linode labels and tags, the API client,
  finding a server's Linode.
- `crypto`, `passwords`: root passwords, stored only encrypted.
- `redaction`: keeps root passwords and the token out of error text.
- `notifications`, `findings`, `jobs`: customer mail, operator findings,
  periodic job health.
"""
