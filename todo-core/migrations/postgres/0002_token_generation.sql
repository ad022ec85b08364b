-- Revocation that holds across instances: a token is valid only while its `gen` claim equals this counter.
-- Changing the password or logging out everywhere increments it, so every earlier token stops working.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
