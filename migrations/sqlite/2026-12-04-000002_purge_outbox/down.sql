DELETE FROM websub_pings WHERE kind <> 'websub';
ALTER TABLE websub_pings DROP COLUMN kind;
