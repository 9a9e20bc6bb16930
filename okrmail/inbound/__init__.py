"""Mail in: store every message raw, then classify, route, defend, and record check-ins.

ingest runs the steps and records what assess decided; each step lives in its own module:
headers (reading headers that may be malformed), classify with robots (auto-replies,
out-of-office) and bounces (delivery reports), routing (which prompt a reply belongs to),
defences (who may answer it), checkins (merging replies into one check-in), notices (what
robots and bounces change), confirmation (telling the sender what was recorded), explain
(`okrmail mail explain`) and fetching (the receivers and the tick's fetch job).
"""
