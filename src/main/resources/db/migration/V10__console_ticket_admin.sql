-- Whether a console ticket was issued to a platform admin. Redemption used to take a user with no
-- tenant for a platform admin: a user whose tenant was taken away could redeem a ticket issued before.
alter table console_tickets add column platform_admin boolean not null default false;
