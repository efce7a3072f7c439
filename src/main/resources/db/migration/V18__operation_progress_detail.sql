-- What an operation's progress counts besides its percentage, e.g. an image import's bytes fetched
-- of the total: {"bytesFetched": 1048576, "bytesTotal": 52428800}.
alter table operations add column progress_detail jsonb;
