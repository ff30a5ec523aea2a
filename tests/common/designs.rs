//! Designs unlike the shipped examples, each built to reach what the examples do not:
//! sparse attributes, low-cardinality index keys, join tables queried by a page, items at the
//! request-unit boundaries, transactions.

use serde_json::{Value, json};

/// A vehicle workshop: vehicles (4 KB items) and their repair jobs (1 KB items when open).
pub fn workshop() -> Value {
    json!({
        "format": 1,
        "app": {
            "name": "workshop",
            "description": "A fleet workshop opens repair jobs on vehicles and assigns open jobs to technicians.",
            "region": "us-east-1",
            "sla": {"read_p95_ms": 20, "write_p95_ms": 30, "monthly_budget_usd": 100000}
        },
        "entities": [
            {"name": "Vehicle", "identity": ["VehicleId"], "item_count": 2000, "attributes": [
                {"name": "VehicleId", "type": "S", "bytes": 10},
                {"name": "Model", "type": "S", "bytes": 8, "distinct_values": 4},
                {"name": "Mileage", "type": "N", "bytes": 4},
                // 19 + 13 + 11 + 4 + 4049 = 4096 bytes: one read unit exactly.
                {"name": "Spec", "type": "S", "bytes": 4049}
            ]},
            {"name": "Job", "identity": ["JobId"], "item_count": 50000, "attributes": [
                {"name": "JobId", "type": "S", "bytes": 16},
                {"name": "Depot", "type": "S", "bytes": 6, "distinct_values": 3},
                {"name": "VehicleId", "type": "S", "bytes": 10},
                {"name": "OpenTech", "type": "S", "bytes": 12, "distinct_values": 5,
                 "present_fraction": 0.3},
                // 21 + 11 + 19 + 20 + 953 = 1024 bytes with OpenTech, 1004 without.
                {"name": "Notes", "type": "S", "bytes": 948}
            ]}
        ],
        "relationships": [{"kind": "1:M", "from": "Vehicle", "to": "Job"}],
        "access_patterns": [
            {"id": "OpenJob", "description": "Open a repair job", "api": "PutItem",
             "entity": "Job", "key_criteria": [{"attribute": "JobId"}], "peak_rps": 40,
             "target": {"table": "Jobs"}},
            {"id": "ImportJob", "description": "Import a job from the old system", "api": "PutItem",
             "entity": "Job", "key_criteria": [{"attribute": "JobId"}], "peak_rps": 30,
             "target": {"table": "Jobs"}},
            {"id": "AddNote", "description": "Add a note to a job with its audit entry",
             "api": "UpdateItem", "entity": "Job", "key_criteria": [{"attribute": "JobId"}],
             "updates": ["Notes"], "transactional": true, "peak_rps": 30,
             "target": {"table": "Jobs"}},
            {"id": "Assign", "description": "Assign a job to a technician (it joins their queue)",
             "api": "UpdateItem", "entity": "Job", "key_criteria": [{"attribute": "JobId"}],
             "updates": ["OpenTech"], "peak_rps": 20, "target": {"table": "Jobs"}},
            {"id": "GetJob", "description": "A job", "api": "GetItem", "entity": "Job",
             "key_criteria": [{"attribute": "JobId"}], "consistency": "strong", "peak_rps": 40,
             "target": {"table": "Jobs"}},
            {"id": "GetVehicle", "description": "A vehicle, consistent with its open jobs",
             "api": "GetItem", "entity": "Vehicle", "key_criteria": [{"attribute": "VehicleId"}],
             "transactional": true, "peak_rps": 40, "target": {"table": "Vehicles"}},
            {"id": "DepotBoard", "description": "A depot's job board, 100 jobs",
             "api": "Query", "entity": "Job", "key_criteria": [{"attribute": "Depot"}],
             "items_per_query": 100, "peak_rps": 20,
             "target": {"table": "Jobs", "index": "JobsByDepot"}},
            {"id": "TechQueue", "description": "A technician's open jobs",
             "api": "Query", "entity": "Job", "key_criteria": [{"attribute": "OpenTech"}],
             "items_per_query": 10, "peak_rps": 40,
             "target": {"table": "Jobs", "index": "OpenJobsByTech"}},
            {"id": "VehicleJobs", "description": "A vehicle's jobs",
             "api": "Query", "entity": "Job", "key_criteria": [{"attribute": "VehicleId"}],
             "items_per_query": 5, "peak_rps": 40,
             "target": {"table": "Jobs", "index": "JobsByVehicle"}},
            {"id": "ModelMileage", "description": "Mileage of the vehicles of a model",
             "api": "Query", "entity": "Vehicle", "key_criteria": [{"attribute": "Model"}],
             "items_per_query": 20, "peak_rps": 40,
             "target": {"table": "Vehicles", "index": "VehiclesByModel"}}
        ],
        "tables": [
            {"name": "Vehicles", "purpose": "Vehicles", "entities": ["Vehicle"],
             "partition_key": {"name": "VehicleId", "type": "S"},
             "global_secondary_indexes": [
                {"name": "VehiclesByModel", "purpose": "Mileage per model",
                 "partition_key": {"name": "Model", "type": "S"},
                 "projection": {"type": "INCLUDE", "attributes": ["Mileage"]}}
             ]},
            {"name": "Jobs", "purpose": "Repair jobs", "entities": ["Job"],
             "partition_key": {"name": "JobId", "type": "S"},
             "global_secondary_indexes": [
                {"name": "JobsByDepot", "purpose": "Job boards",
                 "partition_key": {"name": "Depot", "type": "S"},
                 "projection": {"type": "ALL"}},
                {"name": "OpenJobsByTech", "purpose": "Open jobs per technician",
                 "partition_key": {"name": "OpenTech", "type": "S"},
                 "projection": {"type": "KEYS_ONLY"}},
                {"name": "JobsByVehicle", "purpose": "Jobs of a vehicle",
                 "partition_key": {"name": "VehicleId", "type": "S"},
                 "projection": {"type": "KEYS_ONLY"}}
             ]}
        ]
    })
}

/// Students enrol in courses (an M:N join table keyed StudentId + CourseId); a Query lists a
/// student's courses four at a time, and reports are looked up by a grade with 5 values.
pub fn campus() -> Value {
    json!({
        "format": 1,
        "app": {"name": "campus", "description": "Students enrol in courses.", "region": "eu-west-1",
                "sla": {"read_p95_ms": 20, "write_p95_ms": 30, "monthly_budget_usd": 1000}},
        "entities": [
            {"name": "Student", "identity": ["StudentId"], "item_count": 100, "attributes": [
                {"name": "StudentId", "type": "S", "bytes": 12}]},
            {"name": "Course", "identity": ["CourseId"], "item_count": 50, "attributes": [
                {"name": "CourseId", "type": "S", "bytes": 8}]},
            {"name": "Enrolment", "identity": ["StudentId", "CourseId"], "item_count": 300, "attributes": [
                {"name": "StudentId", "type": "S", "bytes": 12},
                {"name": "CourseId", "type": "S", "bytes": 8},
                {"name": "Grade", "type": "S", "bytes": 2, "distinct_values": 5},
                {"name": "Appeal", "type": "S", "bytes": 40, "present_fraction": 0.1}]}
        ],
        "relationships": [
            {"kind": "M:N", "from": "Student", "to": "Course", "join_entity": "Enrolment"}
        ],
        "access_patterns": [
            {"id": "Courses", "description": "A student's courses", "api": "Query",
             "entity": "Enrolment", "key_criteria": [{"attribute": "StudentId"}],
             "items_per_query": 4, "peak_rps": 10, "target": {"table": "Enrolments"}}
        ],
        "tables": [
            {"name": "Students", "purpose": "Students", "entities": ["Student"],
             "partition_key": {"name": "StudentId", "type": "S"}},
            {"name": "Courses", "purpose": "Courses", "entities": ["Course"],
             "partition_key": {"name": "CourseId", "type": "S"}},
            {"name": "Enrolments", "purpose": "Enrolments", "entities": ["Enrolment"],
             "partition_key": {"name": "StudentId", "type": "S"},
             "sort_key": {"name": "CourseId", "type": "S"}}
        ]
    })
}

/// A game's leaderboard: entries are looked up by tournament and region together (a GSI with
/// a two-attribute partition key) in score order, ties broken by time (a two-attribute sort
/// key) — no concatenated "TournamentId#Region" attribute.
pub fn leaderboard() -> Value {
    json!({
        "format": 1,
        "app": {"name": "leaderboard", "description": "Players post scores in regional tournaments and read the top entries.",
                "region": "eu-central-1",
                "sla": {"read_p95_ms": 20, "write_p95_ms": 30, "monthly_budget_usd": 5000}},
        "entities": [
            {"name": "Entry", "identity": ["EntryId"], "item_count": 100000, "attributes": [
                {"name": "EntryId", "type": "S", "bytes": 12},
                {"name": "TournamentId", "type": "S", "bytes": 8, "distinct_values": 5},
                {"name": "Region", "type": "S", "bytes": 4, "distinct_values": 3},
                {"name": "Score", "type": "N", "bytes": 4},
                {"name": "PlayedAt", "type": "S", "bytes": 20, "example": "2026-11-02T09:14:05Z"},
                {"name": "Player", "type": "S", "bytes": 24}]}
        ],
        "access_patterns": [
            {"id": "Post", "description": "Post a score", "api": "PutItem", "entity": "Entry",
             "key_criteria": [{"attribute": "EntryId"}], "peak_rps": 40, "target": {"table": "Entries"}},
            {"id": "Top", "description": "The best scores of a tournament in one region",
             "api": "Query", "entity": "Entry",
             "key_criteria": [{"attribute": "TournamentId"}, {"attribute": "Region"}],
             "order": "descending", "items_per_query": 10, "peak_rps": 40,
             "target": {"table": "Entries", "index": "TopByTournamentRegion"}},
            {"id": "Entry", "description": "One entry", "api": "GetItem", "entity": "Entry",
             "key_criteria": [{"attribute": "EntryId"}], "peak_rps": 20, "target": {"table": "Entries"}}
        ],
        "tables": [
            {"name": "Entries", "purpose": "Score entries", "entities": ["Entry"],
             "partition_key": {"name": "EntryId", "type": "S"},
             "global_secondary_indexes": [
                {"name": "TopByTournamentRegion", "purpose": "Leaderboards per tournament and region",
                 "partition_key": {"name": "TournamentId", "type": "S"},
                 "more_partition_keys": [{"name": "Region", "type": "S"}],
                 "sort_key": {"name": "Score", "type": "N"},
                 "more_sort_keys": [{"name": "PlayedAt", "type": "S"}],
                 "projection": {"type": "INCLUDE", "attributes": ["Player"]}}
             ]}
        ]
    })
}
