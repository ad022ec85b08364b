-- At most one invitation per list and address.
--
-- Inviting an address again replaces its pending invitation (API.md, "Lists and sharing"): the latest role is the
-- one offered, and the older link stops working. Until now the replacement was an INSERT and then a DELETE of the
-- others; two invitations of one address sent at the same moment on PostgreSQL (READ COMMITTED) each deleted only
-- what they could see, and both stayed pending with two working links. With this index an invitation is one
-- upsert (`ON CONFLICT (list_id, email) DO UPDATE`): a concurrent one waits for the first to commit and then
-- replaces it. Every row of the table is pending (accepting and withdrawing delete the row; the sweep deletes
-- expired ones), so no condition is needed. The newest of any duplicates already stored is the one kept.
DELETE FROM invitations
WHERE EXISTS (
    SELECT 1 FROM invitations AS newer
    WHERE newer.list_id = invitations.list_id AND newer.email = invitations.email AND newer.id > invitations.id
);
CREATE UNIQUE INDEX invitations_one_per_address ON invitations (list_id, email);
