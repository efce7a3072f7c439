-- A share is an offer until the receiving tenant accepts it: only accepted shares put an image in
-- its catalog. Shares made before offers existed stay as they were (accepted when made).
alter table image_shares add column accepted_at timestamptz;
update image_shares set accepted_at = created_at;
