"""Mail in: store every message raw, then classify, route, defend, and record check-ins.

ingest.py runs the steps; each lives in its own module: headers (reading headers that may
be malformed), robots (auto-replies, out-of-office), bounces (delivery reports), routing
(which prompt a reply belongs to), defences (who may answer it), checkins (merging replies
into one check-in), confirmation (telling the sender what was recorded) and fetching (the
receivers and the tick's fetch job).
"""
