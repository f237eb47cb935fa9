CREATE TABLE mo_batch (
	id INTEGER NOT NULL, 
	batch_no INTEGER NOT NULL, 
	mo_id VARCHAR(64) NOT NULL, 
	consumption FLOAT NOT NULL, 
	equipment_id_batch VARCHAR(64) NOT NULL, 
	finished_goods VARCHAR(128) NOT NULL, 
	status_manufacturing BOOLEAN NOT NULL, 
	status_operation BOOLEAN NOT NULL, 
	last_read_from_plc DATETIME, 
	actual_weight_finished_goods FLOAT, 
	odoo_mo_id INTEGER NOT NULL, 
	batch_key VARCHAR(128) NOT NULL, 
	run INTEGER NOT NULL, 
	bom_code VARCHAR(64) NOT NULL, 
	product_code VARCHAR(64) NOT NULL, 
	uom VARCHAR(32) NOT NULL, 
	date_planned_start VARCHAR(32), 
	redelivered BOOLEAN NOT NULL, 
	plc_excluded BOOLEAN NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	plc_written_at DATETIME, 
	started_at DATETIME, 
	finished_at DATETIME, 
	hold_reason TEXT, 
	message TEXT, 
	push_attempts INTEGER NOT NULL, 
	last_error TEXT, 
	next_attempt_at DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (batch_no), 
	UNIQUE (batch_key)
);
INSERT INTO "mo_batch" VALUES(1,1,'WH/MO/00001',1000.0,'FM1','Layer feed 25 kg',1,0,'2026-11-28 06:04:00.000000',998.2,1,'FM1-1-1',1,'LAYER-25','FEED-LAYER-25','kg','2026-11-28 06:00:00',0,0,'finished','2026-11-28 06:00:05.000000','2026-11-28 06:00:10.000000','2026-11-28 06:04:00.000000',NULL,NULL,0,NULL,NULL,'2026-11-28 06:00:00.000000');
INSERT INTO "mo_batch" VALUES(2,2,'WH/MO/00002',1000.0,'FM1','Layer feed 25 kg',0,1,'2026-11-28 06:04:00.000000',NULL,2,'FM1-2-1',1,'LAYER-25','FEED-LAYER-25','kg','2026-11-28 06:00:00',0,0,'failed','2026-11-28 06:00:05.000000','2026-11-28 06:00:10.000000','2026-11-28 06:04:00.000000',NULL,'The line reported a failure (status_operation = 1) in slot 2.',0,NULL,NULL,'2026-11-28 06:00:00.000000');
INSERT INTO "mo_batch" VALUES(3,3,'WH/MO/00003',1000.0,'FM1','Layer feed 25 kg',0,0,'2026-11-28 06:04:00.000000',NULL,3,'FM1-3-1',1,'LAYER-25','FEED-LAYER-25','kg','2026-11-28 06:00:00',0,0,'held','2026-11-28 06:00:05.000000','2026-11-28 06:00:10.000000',NULL,'silo 101: 5000 kg is more than 1.5 x the planned 550',NULL,0,NULL,NULL,'2026-11-28 06:00:00.000000');
INSERT INTO "mo_batch" VALUES(4,4,'WH/MO/00004',1000.0,'FM1','Layer feed 25 kg',0,0,'2026-11-28 06:04:00.000000',NULL,4,'FM1-4-1',1,'LAYER-25','FEED-LAYER-25','kg','2026-11-28 06:00:00',0,0,'running','2026-11-28 06:00:05.000000','2026-11-28 06:00:10.000000',NULL,NULL,NULL,0,NULL,NULL,'2026-11-28 06:00:00.000000');
INSERT INTO "mo_batch" VALUES(5,5,'WH/MO/00005',1000.0,'FM1','Layer feed 25 kg',0,0,NULL,NULL,5,'FM1-5-1',1,'LAYER-25','FEED-LAYER-25','kg','2026-11-28 06:00:00',0,0,'written','2026-11-28 06:00:05.000000',NULL,NULL,NULL,NULL,0,NULL,NULL,'2026-11-28 06:00:00.000000');
INSERT INTO "mo_batch" VALUES(6,6,'WH/MO/00006',1000.0,'FM1','Layer feed 25 kg',0,0,NULL,NULL,6,'FM1-6-1',1,'LAYER-25','FEED-LAYER-25','kg','2026-11-28 06:00:00',0,1,'failed',NULL,NULL,'2026-11-28 06:04:00.000000',NULL,'Not sent to the PLC: 16 components, the PLC slot has room for 15',0,NULL,NULL,'2026-11-28 06:00:00.000000');
CREATE TABLE mo_batch_component (
	id INTEGER NOT NULL, 
	batch_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	silo_code VARCHAR(32) NOT NULL, 
	silo_id INTEGER, 
	product_code VARCHAR(64) NOT NULL, 
	product_name VARCHAR(128) NOT NULL, 
	uom VARCHAR(32) NOT NULL, 
	planned_quantity FLOAT NOT NULL, 
	actual_quantity FLOAT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(batch_id) REFERENCES mo_batch (id) ON DELETE CASCADE
);
INSERT INTO "mo_batch_component" VALUES(1,1,0,'101',101,'RM-MAIZE','Maize','kg',550.0,555.5);
INSERT INTO "mo_batch_component" VALUES(2,1,1,'102',102,'RM-SBM','Soybean meal 46%','kg',250.0,252.5);
INSERT INTO "mo_batch_component" VALUES(3,1,2,'103',103,'RM-PKP','Palm kernel pellets','kg',100.0,101.0);
INSERT INTO "mo_batch_component" VALUES(4,1,3,'104',104,'RM-LIME','Limestone','kg',80.0,80.8);
INSERT INTO "mo_batch_component" VALUES(5,1,4,'115',115,'RM-OIL','Soybean oil','kg',20.0,20.2);
INSERT INTO "mo_batch_component" VALUES(6,2,0,'101',101,'RM-MAIZE','Maize','kg',550.0,555.5);
INSERT INTO "mo_batch_component" VALUES(7,2,1,'102',102,'RM-SBM','Soybean meal 46%','kg',250.0,252.5);
INSERT INTO "mo_batch_component" VALUES(8,2,2,'103',103,'RM-PKP','Palm kernel pellets','kg',100.0,NULL);
INSERT INTO "mo_batch_component" VALUES(9,2,3,'104',104,'RM-LIME','Limestone','kg',80.0,NULL);
INSERT INTO "mo_batch_component" VALUES(10,2,4,'115',115,'RM-OIL','Soybean oil','kg',20.0,NULL);
INSERT INTO "mo_batch_component" VALUES(11,3,0,'101',101,'RM-MAIZE','Maize','kg',550.0,555.5);
INSERT INTO "mo_batch_component" VALUES(12,3,1,'102',102,'RM-SBM','Soybean meal 46%','kg',250.0,252.5);
INSERT INTO "mo_batch_component" VALUES(13,3,2,'103',103,'RM-PKP','Palm kernel pellets','kg',100.0,101.0);
INSERT INTO "mo_batch_component" VALUES(14,3,3,'104',104,'RM-LIME','Limestone','kg',80.0,80.8);
INSERT INTO "mo_batch_component" VALUES(15,3,4,'115',115,'RM-OIL','Soybean oil','kg',20.0,20.2);
INSERT INTO "mo_batch_component" VALUES(16,4,0,'101',101,'RM-MAIZE','Maize','kg',550.0,555.5);
INSERT INTO "mo_batch_component" VALUES(17,4,1,'102',102,'RM-SBM','Soybean meal 46%','kg',250.0,252.5);
INSERT INTO "mo_batch_component" VALUES(18,4,2,'103',103,'RM-PKP','Palm kernel pellets','kg',100.0,101.0);
INSERT INTO "mo_batch_component" VALUES(19,4,3,'104',104,'RM-LIME','Limestone','kg',80.0,80.8);
INSERT INTO "mo_batch_component" VALUES(20,4,4,'115',115,'RM-OIL','Soybean oil','kg',20.0,20.2);
INSERT INTO "mo_batch_component" VALUES(21,5,0,'101',101,'RM-MAIZE','Maize','kg',550.0,NULL);
INSERT INTO "mo_batch_component" VALUES(22,5,1,'102',102,'RM-SBM','Soybean meal 46%','kg',250.0,NULL);
INSERT INTO "mo_batch_component" VALUES(23,5,2,'103',103,'RM-PKP','Palm kernel pellets','kg',100.0,NULL);
INSERT INTO "mo_batch_component" VALUES(24,5,3,'104',104,'RM-LIME','Limestone','kg',80.0,NULL);
INSERT INTO "mo_batch_component" VALUES(25,5,4,'115',115,'RM-OIL','Soybean oil','kg',20.0,NULL);
INSERT INTO "mo_batch_component" VALUES(26,6,0,'101',101,'RM-MAIZE','Maize','kg',550.0,NULL);
INSERT INTO "mo_batch_component" VALUES(27,6,1,'102',102,'RM-SBM','Soybean meal 46%','kg',250.0,NULL);
INSERT INTO "mo_batch_component" VALUES(28,6,2,'103',103,'RM-PKP','Palm kernel pellets','kg',100.0,NULL);
INSERT INTO "mo_batch_component" VALUES(29,6,3,'104',104,'RM-LIME','Limestone','kg',80.0,NULL);
INSERT INTO "mo_batch_component" VALUES(30,6,4,'115',115,'RM-OIL','Soybean oil','kg',20.0,NULL);
CREATE TABLE mo_histories (
	id INTEGER NOT NULL, 
	batch_no INTEGER, 
	mo_id VARCHAR(64) NOT NULL, 
	odoo_mo_id INTEGER NOT NULL, 
	batch_key VARCHAR(128) NOT NULL, 
	run INTEGER NOT NULL, 
	consumption FLOAT NOT NULL, 
	equipment_id_batch VARCHAR(64) NOT NULL, 
	finished_goods VARCHAR(128) NOT NULL, 
	bom_code VARCHAR(64) NOT NULL, 
	product_code VARCHAR(64) NOT NULL, 
	uom VARCHAR(32) NOT NULL, 
	status_manufacturing BOOLEAN NOT NULL, 
	status_operation BOOLEAN NOT NULL, 
	actual_weight_finished_goods FLOAT, 
	last_read_from_plc DATETIME, 
	plc_written_at DATETIME, 
	started_at DATETIME, 
	finished_at DATETIME, 
	created_at DATETIME, 
	push_attempts INTEGER NOT NULL, 
	components JSON NOT NULL, 
	report_payload JSON, 
	outcome VARCHAR(16) NOT NULL, 
	odoo_result JSON, 
	reason TEXT, 
	archived_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "mo_histories" VALUES(1,1,'WH/MO/00900',900,'FM1-900-1',1,500.0,'FM1','Layer feed 25 kg','LAYER-25','FEED-LAYER-25','kg',1,0,499.0,NULL,NULL,'2026-11-28 05:10:00.000000','2026-11-28 05:15:00.000000','2026-11-28 05:00:00.000000',0,'[{"position": 0, "silo": "101", "silo_id": 101, "product_code": "RM-MAIZE", "product_name": "Maize", "uom": "kg", "planned_quantity": 500.0, "actual_quantity": 499.0}]','{"mo_id": 900, "batch_key": "FM1-900-1", "status": "done"}','done','{"status": "done", "mo_state": "done", "duplicate": false}',NULL,'2026-11-28 05:16:00.000000');
CREATE TABLE plc_agent_instance (
	id INTEGER NOT NULL, 
	pid INTEGER NOT NULL, 
	host VARCHAR(255) NOT NULL, 
	started_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_mo_batch_mo_id ON mo_batch (mo_id);
CREATE INDEX ix_mo_batch_state ON mo_batch (state);
CREATE INDEX ix_mo_histories_mo_id ON mo_histories (mo_id);
CREATE INDEX ix_mo_histories_batch_key ON mo_histories (batch_key);
CREATE INDEX ix_mo_histories_outcome ON mo_histories (outcome);
CREATE INDEX ix_mo_batch_component_batch_id ON mo_batch_component (batch_id);
