--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: mo_batch; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mo_batch (
    id integer NOT NULL,
    batch_no integer NOT NULL,
    mo_id character varying(64) NOT NULL,
    consumption double precision NOT NULL,
    equipment_id_batch character varying(64) NOT NULL,
    finished_goods character varying(128) NOT NULL,
    status_manufacturing boolean NOT NULL,
    status_operation boolean NOT NULL,
    last_read_from_plc timestamp with time zone,
    actual_weight_finished_goods double precision,
    odoo_mo_id integer NOT NULL,
    run integer NOT NULL,
    bom_code character varying(64) NOT NULL,
    product_code character varying(64) NOT NULL,
    uom character varying(32) NOT NULL,
    plc_written_at timestamp with time zone,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    push_attempts integer NOT NULL,
    batch_key character varying(128) NOT NULL,
    date_planned_start character varying(32),
    redelivered boolean NOT NULL,
    plc_excluded boolean NOT NULL,
    state character varying(16) NOT NULL,
    hold_reason text,
    message text,
    last_error text,
    next_attempt_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: mo_batch_component; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mo_batch_component (
    id integer NOT NULL,
    batch_id integer NOT NULL,
    "position" integer NOT NULL,
    silo_code character varying(32) NOT NULL,
    silo_id integer,
    product_code character varying(64) NOT NULL,
    product_name character varying(128) NOT NULL,
    uom character varying(32) NOT NULL,
    planned_quantity double precision NOT NULL,
    actual_quantity double precision
);


--
-- Name: mo_batch_component_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.mo_batch_component_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: mo_batch_component_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.mo_batch_component_id_seq OWNED BY public.mo_batch_component.id;


--
-- Name: mo_batch_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.mo_batch_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: mo_batch_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.mo_batch_id_seq OWNED BY public.mo_batch.id;


--
-- Name: mo_histories; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mo_histories (
    id integer NOT NULL,
    batch_no integer,
    batch_key character varying(128) NOT NULL,
    mo_id character varying(64) NOT NULL,
    consumption double precision NOT NULL,
    equipment_id_batch character varying(64) NOT NULL,
    finished_goods character varying(128) NOT NULL,
    status_manufacturing boolean NOT NULL,
    status_operation boolean NOT NULL,
    last_read_from_plc timestamp with time zone,
    actual_weight_finished_goods double precision,
    odoo_mo_id integer NOT NULL,
    run integer NOT NULL,
    bom_code character varying(64) NOT NULL,
    product_code character varying(64) NOT NULL,
    uom character varying(32) NOT NULL,
    plc_written_at timestamp with time zone,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    push_attempts integer NOT NULL,
    created_at timestamp with time zone,
    components json NOT NULL,
    report_payload json,
    outcome character varying(16) NOT NULL,
    odoo_result json,
    reason text,
    archived_at timestamp with time zone NOT NULL
);


--
-- Name: mo_histories_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.mo_histories_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: mo_histories_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.mo_histories_id_seq OWNED BY public.mo_histories.id;


--
-- Name: plc_agent_instance; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.plc_agent_instance (
    id integer NOT NULL,
    pid integer NOT NULL,
    host character varying(255) NOT NULL,
    started_at timestamp with time zone NOT NULL
);


--
-- Name: plc_agent_instance_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.plc_agent_instance_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: plc_agent_instance_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.plc_agent_instance_id_seq OWNED BY public.plc_agent_instance.id;


--
-- Name: mo_batch id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_batch ALTER COLUMN id SET DEFAULT nextval('public.mo_batch_id_seq'::regclass);


--
-- Name: mo_batch_component id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_batch_component ALTER COLUMN id SET DEFAULT nextval('public.mo_batch_component_id_seq'::regclass);


--
-- Name: mo_histories id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_histories ALTER COLUMN id SET DEFAULT nextval('public.mo_histories_id_seq'::regclass);


--
-- Name: plc_agent_instance id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plc_agent_instance ALTER COLUMN id SET DEFAULT nextval('public.plc_agent_instance_id_seq'::regclass);


--
-- Data for Name: mo_batch; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.mo_batch VALUES (1, 1, 'WH/MO/00001', 1000, 'FM1', 'Layer feed 25 kg', true, false, '2026-11-28 06:04:00+00', 998.2, 1, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', '2026-11-28 06:00:05+00', '2026-11-28 06:00:10+00', '2026-11-28 06:04:00+00', 0, 'FM1-1-1', '2026-11-28 06:00:00', false, false, 'finished', NULL, NULL, NULL, NULL, '2026-11-28 06:00:00+00');
INSERT INTO public.mo_batch VALUES (2, 2, 'WH/MO/00002', 1000, 'FM1', 'Layer feed 25 kg', false, true, '2026-11-28 06:04:00+00', NULL, 2, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', '2026-11-28 06:00:05+00', '2026-11-28 06:00:10+00', '2026-11-28 06:04:00+00', 0, 'FM1-2-1', '2026-11-28 06:00:00', false, false, 'failed', NULL, 'The line reported a failure (status_operation = 1) in slot 2.', NULL, NULL, '2026-11-28 06:00:00+00');
INSERT INTO public.mo_batch VALUES (3, 3, 'WH/MO/00003', 1000, 'FM1', 'Layer feed 25 kg', false, false, '2026-11-28 06:04:00+00', NULL, 3, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', '2026-11-28 06:00:05+00', '2026-11-28 06:00:10+00', NULL, 0, 'FM1-3-1', '2026-11-28 06:00:00', false, false, 'held', 'silo 101: 5000 kg is more than 1.5 x the planned 550', NULL, NULL, NULL, '2026-11-28 06:00:00+00');
INSERT INTO public.mo_batch VALUES (4, 4, 'WH/MO/00004', 1000, 'FM1', 'Layer feed 25 kg', false, false, '2026-11-28 06:04:00+00', NULL, 4, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', '2026-11-28 06:00:05+00', '2026-11-28 06:00:10+00', NULL, 0, 'FM1-4-1', '2026-11-28 06:00:00', false, false, 'running', NULL, NULL, NULL, NULL, '2026-11-28 06:00:00+00');
INSERT INTO public.mo_batch VALUES (5, 5, 'WH/MO/00005', 1000, 'FM1', 'Layer feed 25 kg', false, false, NULL, NULL, 5, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', '2026-11-28 06:00:05+00', NULL, NULL, 0, 'FM1-5-1', '2026-11-28 06:00:00', false, false, 'written', NULL, NULL, NULL, NULL, '2026-11-28 06:00:00+00');
INSERT INTO public.mo_batch VALUES (6, 6, 'WH/MO/00006', 1000, 'FM1', 'Layer feed 25 kg', false, false, NULL, NULL, 6, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', NULL, NULL, '2026-11-28 06:04:00+00', 0, 'FM1-6-1', '2026-11-28 06:00:00', false, true, 'failed', NULL, 'Not sent to the PLC: 16 components, the PLC slot has room for 15', NULL, NULL, '2026-11-28 06:00:00+00');
INSERT INTO public.mo_batch VALUES (7, 7, 'WH/MO/00007', 1000, 'FM1', 'Layer feed 25 kg', false, false, NULL, NULL, 7, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', NULL, NULL, NULL, 0, 'FM1-7-1', '2026-11-28 06:00:00', false, false, 'queued', NULL, NULL, NULL, NULL, '2026-11-28 06:00:00+00');


--
-- Data for Name: mo_batch_component; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.mo_batch_component VALUES (1, 1, 0, '101', 101, 'RM-MAIZE', 'Maize', 'kg', 550, 555.5);
INSERT INTO public.mo_batch_component VALUES (2, 1, 1, '102', 102, 'RM-SBM', 'Soybean meal 46%', 'kg', 250, 252.5);
INSERT INTO public.mo_batch_component VALUES (3, 1, 2, '103', 103, 'RM-PKP', 'Palm kernel pellets', 'kg', 100, 101);
INSERT INTO public.mo_batch_component VALUES (4, 1, 3, '104', 104, 'RM-LIME', 'Limestone', 'kg', 80, 80.8);
INSERT INTO public.mo_batch_component VALUES (5, 1, 4, '115', 115, 'RM-OIL', 'Soybean oil', 'kg', 20, 20.2);
INSERT INTO public.mo_batch_component VALUES (6, 2, 0, '101', 101, 'RM-MAIZE', 'Maize', 'kg', 550, 555.5);
INSERT INTO public.mo_batch_component VALUES (7, 2, 1, '102', 102, 'RM-SBM', 'Soybean meal 46%', 'kg', 250, 252.5);
INSERT INTO public.mo_batch_component VALUES (8, 2, 2, '103', 103, 'RM-PKP', 'Palm kernel pellets', 'kg', 100, NULL);
INSERT INTO public.mo_batch_component VALUES (9, 2, 3, '104', 104, 'RM-LIME', 'Limestone', 'kg', 80, NULL);
INSERT INTO public.mo_batch_component VALUES (10, 2, 4, '115', 115, 'RM-OIL', 'Soybean oil', 'kg', 20, NULL);
INSERT INTO public.mo_batch_component VALUES (11, 3, 0, '101', 101, 'RM-MAIZE', 'Maize', 'kg', 550, 555.5);
INSERT INTO public.mo_batch_component VALUES (12, 3, 1, '102', 102, 'RM-SBM', 'Soybean meal 46%', 'kg', 250, 252.5);
INSERT INTO public.mo_batch_component VALUES (13, 3, 2, '103', 103, 'RM-PKP', 'Palm kernel pellets', 'kg', 100, 101);
INSERT INTO public.mo_batch_component VALUES (14, 3, 3, '104', 104, 'RM-LIME', 'Limestone', 'kg', 80, 80.8);
INSERT INTO public.mo_batch_component VALUES (15, 3, 4, '115', 115, 'RM-OIL', 'Soybean oil', 'kg', 20, 20.2);
INSERT INTO public.mo_batch_component VALUES (16, 4, 0, '101', 101, 'RM-MAIZE', 'Maize', 'kg', 550, 555.5);
INSERT INTO public.mo_batch_component VALUES (17, 4, 1, '102', 102, 'RM-SBM', 'Soybean meal 46%', 'kg', 250, 252.5);
INSERT INTO public.mo_batch_component VALUES (18, 4, 2, '103', 103, 'RM-PKP', 'Palm kernel pellets', 'kg', 100, 101);
INSERT INTO public.mo_batch_component VALUES (19, 4, 3, '104', 104, 'RM-LIME', 'Limestone', 'kg', 80, 80.8);
INSERT INTO public.mo_batch_component VALUES (20, 4, 4, '115', 115, 'RM-OIL', 'Soybean oil', 'kg', 20, 20.2);
INSERT INTO public.mo_batch_component VALUES (21, 5, 0, '101', 101, 'RM-MAIZE', 'Maize', 'kg', 550, NULL);
INSERT INTO public.mo_batch_component VALUES (22, 5, 1, '102', 102, 'RM-SBM', 'Soybean meal 46%', 'kg', 250, NULL);
INSERT INTO public.mo_batch_component VALUES (23, 5, 2, '103', 103, 'RM-PKP', 'Palm kernel pellets', 'kg', 100, NULL);
INSERT INTO public.mo_batch_component VALUES (24, 5, 3, '104', 104, 'RM-LIME', 'Limestone', 'kg', 80, NULL);
INSERT INTO public.mo_batch_component VALUES (25, 5, 4, '115', 115, 'RM-OIL', 'Soybean oil', 'kg', 20, NULL);
INSERT INTO public.mo_batch_component VALUES (26, 6, 0, '101', 101, 'RM-MAIZE', 'Maize', 'kg', 550, NULL);
INSERT INTO public.mo_batch_component VALUES (27, 6, 1, '102', 102, 'RM-SBM', 'Soybean meal 46%', 'kg', 250, NULL);
INSERT INTO public.mo_batch_component VALUES (28, 6, 2, '103', 103, 'RM-PKP', 'Palm kernel pellets', 'kg', 100, NULL);
INSERT INTO public.mo_batch_component VALUES (29, 6, 3, '104', 104, 'RM-LIME', 'Limestone', 'kg', 80, NULL);
INSERT INTO public.mo_batch_component VALUES (30, 6, 4, '115', 115, 'RM-OIL', 'Soybean oil', 'kg', 20, NULL);
INSERT INTO public.mo_batch_component VALUES (31, 7, 0, '101', 101, 'RM-MAIZE', 'Maize', 'kg', 550, NULL);
INSERT INTO public.mo_batch_component VALUES (32, 7, 1, '102', 102, 'RM-SBM', 'Soybean meal 46%', 'kg', 250, NULL);
INSERT INTO public.mo_batch_component VALUES (33, 7, 2, '103', 103, 'RM-PKP', 'Palm kernel pellets', 'kg', 100, NULL);
INSERT INTO public.mo_batch_component VALUES (34, 7, 3, '104', 104, 'RM-LIME', 'Limestone', 'kg', 80, NULL);
INSERT INTO public.mo_batch_component VALUES (35, 7, 4, '115', 115, 'RM-OIL', 'Soybean oil', 'kg', 20, NULL);


--
-- Data for Name: mo_histories; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.mo_histories VALUES (1, 1, 'FM1-900-1', 'WH/MO/00900', 500, 'FM1', 'Layer feed 25 kg', true, false, NULL, 499, 900, 1, 'LAYER-25', 'FEED-LAYER-25', 'kg', NULL, '2026-11-28 05:10:00+00', '2026-11-28 05:15:00+00', 0, '2026-11-28 05:00:00+00', '[{"position": 0, "silo": "101", "silo_id": 101, "product_code": "RM-MAIZE", "product_name": "Maize", "uom": "kg", "planned_quantity": 500.0, "actual_quantity": 499.0}]', '{"mo_id": 900, "batch_key": "FM1-900-1", "status": "done"}', 'done', '{"status": "done", "mo_state": "done", "duplicate": false}', NULL, '2026-11-28 05:16:00+00');


--
-- Data for Name: plc_agent_instance; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Name: mo_batch_component_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.mo_batch_component_id_seq', 35, true);


--
-- Name: mo_batch_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.mo_batch_id_seq', 7, true);


--
-- Name: mo_histories_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.mo_histories_id_seq', 1, true);


--
-- Name: plc_agent_instance_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.plc_agent_instance_id_seq', 1, false);


--
-- Name: mo_batch mo_batch_batch_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_batch
    ADD CONSTRAINT mo_batch_batch_key_key UNIQUE (batch_key);


--
-- Name: mo_batch mo_batch_batch_no_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_batch
    ADD CONSTRAINT mo_batch_batch_no_key UNIQUE (batch_no);


--
-- Name: mo_batch_component mo_batch_component_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_batch_component
    ADD CONSTRAINT mo_batch_component_pkey PRIMARY KEY (id);


--
-- Name: mo_batch mo_batch_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_batch
    ADD CONSTRAINT mo_batch_pkey PRIMARY KEY (id);


--
-- Name: mo_histories mo_histories_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_histories
    ADD CONSTRAINT mo_histories_pkey PRIMARY KEY (id);


--
-- Name: plc_agent_instance plc_agent_instance_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plc_agent_instance
    ADD CONSTRAINT plc_agent_instance_pkey PRIMARY KEY (id);


--
-- Name: ix_mo_batch_component_batch_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_mo_batch_component_batch_id ON public.mo_batch_component USING btree (batch_id);


--
-- Name: ix_mo_batch_mo_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_mo_batch_mo_id ON public.mo_batch USING btree (mo_id);


--
-- Name: ix_mo_batch_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_mo_batch_state ON public.mo_batch USING btree (state);


--
-- Name: ix_mo_histories_batch_key; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_mo_histories_batch_key ON public.mo_histories USING btree (batch_key);


--
-- Name: ix_mo_histories_mo_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_mo_histories_mo_id ON public.mo_histories USING btree (mo_id);


--
-- Name: ix_mo_histories_outcome; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_mo_histories_outcome ON public.mo_histories USING btree (outcome);


--
-- Name: mo_batch_component mo_batch_component_batch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mo_batch_component
    ADD CONSTRAINT mo_batch_component_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES public.mo_batch(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


