-- Keybrake embedded store, schema version 8: a reservation names the counters it holds room in
-- itself (counter_ids, a JSON array of counter ids) instead of one reservation_counters row per
-- counter. Every admission wrote one row per limit into a third B-tree and every settlement read
-- them back; the column costs neither. Existing links move into the column, then the table goes.
ALTER TABLE reservations ADD COLUMN counter_ids TEXT NOT NULL DEFAULT '[]';
UPDATE reservations
   SET counter_ids = (SELECT json_group_array(counter_id) FROM reservation_counters
                       WHERE reservation_id = reservations.id)
 WHERE id IN (SELECT reservation_id FROM reservation_counters);
DROP TABLE reservation_counters;
