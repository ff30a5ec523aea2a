#!/usr/bin/env python3
"""Writes the scripted sessions in scripted/ from examples/online-shop.json.

These are scripted sessions, written for the tests and the demo: the developer's lines, the
model's answers and the approvals are authored here, not recorded from any particular model.
`ddb-architect chat --replay scripted/NAME.jsonl` runs one through the real executor and records a
new transcript with request fingerprints; that recording is what this folder keeps (README.md).
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DESIGN = json.load(open(os.path.join(HERE, "..", "examples", "online-shop.json")))


class Script:
    def __init__(self):
        self.lines = []
        self.calls = 0

    def add(self, kind, payload):
        self.lines.append({"v": 1, "seq": len(self.lines) + 1, "ts": "2026-11-24T00:00:00Z",
                           "type": kind, "payload": payload})

    def user(self, text):
        self.add("user", {"text": text})

    def say(self, text, *calls):
        tool_calls = []
        for name, args in calls:
            self.calls += 1
            raw = args if isinstance(args, str) else json.dumps(args)
            tool_calls.append({"id": f"call_{self.calls}", "name": name, "arguments": raw})
        self.add("model_response", {"text": text, "tool_calls": tool_calls,
                                    "finish": "tool_calls" if tool_calls else "stop"})

    def approve(self, tool, yes):
        self.add("approval", {"tool": tool, "approved": yes})

    def write(self, name, local=True, design_tools=None):
        payload = {"tool": "ddb-architect", "model": "scripted", "source": "scripted",
                   "local": local}
        if design_tools:
            payload["design_tools"] = design_tools
        with open(os.path.join(HERE, "scripted", name), "w") as f:
            f.write(json.dumps({"v": 1, "seq": 0, "ts": "2026-11-24T00:00:00Z", "type": "session",
                                "payload": payload}) + "\n")
            for l in self.lines:
                f.write(json.dumps(l) + "\n")


def requirements():
    d = copy.deepcopy(DESIGN)
    pats = []
    for p in d["access_patterns"]:
        p = dict(p)
        p.pop("target", None)
        pats.append(p)
    return {"app": d["app"], "entities": d["entities"],
            "relationships": d.get("relationships", []), "access_patterns": pats}


def model(design=DESIGN):
    return {"tables": design["tables"],
            "targets": {p["id"]: p["target"] for p in design["access_patterns"]},
            "deviations": design.get("deviations", [])}


PITCH = ("It's a web shop for independent bookshops. Customers browse products by category, "
         "place orders and track them; staff update stock and order status. Reads p95 under 20 ms, "
         "writes under 30 ms, about 700 reads and 140 writes a second at peak, budget $500 a month. "
         "Entities: Customer, Order, OrderItem (an order line) and Product; the thirteen access "
         "patterns are in the list I pasted earlier.")

STAGE0 = [
    ("Hi! I'd like to design the DynamoDB tables for our online shop and see how they perform.",
     "Welcome. Before anything else I'll check this machine: the emulator, python3 and boto3.",
     [("check_environment", {})]),
]


def opening(s):
    s.user(STAGE0[0][0])
    s.say(STAGE0[0][1], *STAGE0[0][2])
    s.say("Everything the benchmark needs is here; the checklist above shows each item. "
          "We are in local mode, so nothing will cost money.")
    s.user("yes")
    s.say("Stage 1. Tell me about the shop: a short pitch, your latency and throughput targets, "
          "the budget, the entities with their attributes, and every read and write.")
    s.user(PITCH)
    s.say("Thanks. I'll record that and check it against the rules.",
          ("record_requirements", requirements()))
    s.say("Recorded. Stage1_DomainAndPatterns.md has the access pattern table; the entity "
          "diagram above shows the 1:M from Customer to Order and the M:N between Order and "
          "Product through OrderItem.")
    s.user("yes")


def happy():
    s = Script()
    opening(s)
    s.say("Stage 2. One table per entity with natural keys, and a purpose-named index for each "
          "cross-entity read: CustomersByEmail, OrdersByCustomer, OrderItemsByProduct, "
          "ProductsByCategory.", ("propose_data_model", model()))
    s.say("Every rule passes. Let me put a monthly figure on it.", ("estimate_cost", {}))
    s.say("Stage2_DataModel.md has the tables, the key pictures and the call behind every access "
          "pattern; the estimate above is per pattern, table and index.")
    s.user("yes")
    s.say("Stage 3. In local mode the tables go into the embedded emulator; first the tables.",
          ("create_tables", {}))
    s.say("Tables are ACTIVE. A short run keeps the demo quick: 200 items per entity, 3 s per "
          "phase after 1 s of warm-up.",
          ("run_benchmark", {"items": 200, "scale": "0.25", "duration_s": 3, "warmup_s": 1}))
    s.say("The run is done. I'll also write the standalone Python kit so you can review exactly "
          "what ran.", ("export_scripts", {}))
    s.say("The table above has each pattern's measured latency against its target rate.")
    s.user("yes")
    s.say("Stage 4. I'll write the analysis from the measurements.",
          ("write_analysis", {
              "observations": [
                  "The SLA table compares each pattern's measured p95 with its target; these "
                  "figures come from the emulator on this machine, so they show the design's "
                  "shape, not a Region's latency.",
                  "Consumed capacity per call is set beside the cost model's prediction for "
                  "every table and index."],
              "recommendations": [
                  "Run the same benchmark in the target Region before any denormalisation: "
                  "the evidence here is local, and every copy of data adds write amplification "
                  "and a recovery story."]}))
    s.say("Stage4_BenchmarkAnalysis.md is written, with charts. Optimize, accept, or redesign?")
    s.user("accept")
    s.say("Stage 5. Cleaning up everything the session created.", ("clean_up", {}))
    s.say("All gone and verified. Saving what we learned.",
          ("finish_session", {
              "lessons": [
                  "One table per entity with four purpose-named GSIs served all thirteen access "
                  "patterns without a Scan or a copy of data.",
                  "Recent orders of a product needed a time-ordered sort key on the index: each "
                  "order line carries its order's OrderDate for it."],
              "next_steps": [
                  "Ask the identity-provider team to confirm that a second account with the same "
                  "email is refused, the assumption behind the DDB112 deviation."]}))
    s.say("Lessons and next steps are in Stage5_LessonsLearned.md.")
    s.user("yes")
    return s


def recovery():
    s = Script()
    opening(s)
    broken = copy.deepcopy(DESIGN)
    broken["tables"][1]["global_secondary_indexes"] = []
    s.say("Stage 2. Before modelling I'll get the tables ready.", ("create_tables", {}))
    s.say("Right, tables come after the model is approved. Here is the model.",
          ("propose_data_model", '{"tables": [ {"name": "Customers"'))
    s.say("That call was cut off; sending it whole.", ("propose_data_model", model(broken)))
    s.say("The rules found that AP6 targets an index the Orders table does not have. I'll add "
          "OrdersByCustomer back.", ("propose_data_model", model()))
    s.say("Every rule passes now; Stage2_DataModel.md is written.")
    s.user("yes")
    s.say("Stage 3. Whenever you're ready I'll create the benchmark tables.")
    return s


def redesign():
    s = Script()
    opening(s)
    s.say("Stage 2. One table per entity, four purpose-named indexes.",
          ("propose_data_model", model()))
    s.say("Every rule passes; Stage2_DataModel.md is written.")
    s.user("yes")
    s.say("Stage 3. First the tables.", ("create_tables", {}))
    s.approve("create_tables", False)
    s.say("Nothing was created. What would you like to change before we create the tables?")
    s.user("Nothing, I just wanted to read the plan first. Go ahead.")
    s.say("Creating them now.", ("create_tables", {}))
    s.approve("create_tables", True)
    s.say("Running a short benchmark.", ("run_benchmark", {"items": 100, "scale": "0.25", "duration_s": 2,
                                                            "warmup_s": 1}))
    s.approve("run_benchmark", True)
    s.say("Done; the measured latencies are above.")
    s.user("yes")
    s.say("Writing the analysis.", ("write_analysis", {
        "observations": ["Each pattern's measured p95 is in the SLA table, from the local "
                         "emulator."],
        "recommendations": []}))
    s.say("Optimize, accept, or redesign?")
    s.user("redesign")
    orders_all = copy.deepcopy(DESIGN)
    orders_all["tables"][1]["global_secondary_indexes"][0]["projection"] = {"type": "ALL"}
    s.say("Back in Stage 2 with the first run kept. The order history page may need every "
          "attribute, so OrdersByCustomer projects ALL: larger index writes in exchange for no "
          "follow-up GetItem.", ("propose_data_model", model(orders_all)))
    s.say("The revised model passes every rule.")
    s.user("yes")
    s.say("Recreating the tables for the new model.", ("create_tables", {}))
    s.approve("create_tables", True)
    s.say("Same short run, so the two compare.",
          ("run_benchmark", {"items": 100, "scale": "0.25", "duration_s": 2, "warmup_s": 1}))
    s.approve("run_benchmark", True)
    s.say("Done; the analysis will set this run beside the first.")
    s.user("yes")
    s.say("Writing the analysis with the before/after comparison.", ("write_analysis", {
        "observations": ["The before/after table compares this run with the first one, pattern "
                         "by pattern."],
        "recommendations": ["Keep ALL on OrdersByCustomer only if the history page needs the "
                            "extra attributes: each order write now copies the whole item into "
                            "the index."]}))
    s.say("Optimize, accept, or redesign?")
    s.user("accept")
    s.say("Cleaning up.", ("clean_up", {}))
    s.approve("clean_up", True)
    s.say("Saving the lessons.", ("finish_session", {
        "lessons": ["Declining a step costs nothing: the plan is shown before anything exists.",
                    "A redesign keeps the earlier run, so the change is judged on evidence."],
        "next_steps": ["Repeat both runs in the target Region."]}))
    s.say("Saved.")
    s.user("yes")
    return s


def aws_account():
    """A whole journey against an AWS account (the tests point it at moto and the emulator)."""
    s = Script()
    opening(s)
    s.say("Stage 2.", ("propose_data_model", model()))
    s.say("Every rule passes.")
    s.user("yes")
    s.say("Stage 3: the tables first.", ("create_tables", {}))
    s.approve("create_tables", True)
    s.say("A short run from this machine before the function exists.",
          ("run_benchmark", {"items": 50, "scale": "0.1", "duration_s": 1, "warmup_s": 0}))
    s.approve("run_benchmark", True)
    s.say("Now the role and the Lambda function, for runs inside the Region.",
          ("deploy_function", {}))
    s.approve("deploy_function", True)
    s.say("All in place.")
    s.user("yes")
    s.say("Analysis.", ("write_analysis", {"observations": ["See the SLA table."]}))
    s.say("Optimize, accept, or redesign?")
    s.user("accept")
    s.say("Cleaning up everything.", ("clean_up", {}))
    s.approve("clean_up", True)
    s.say("Saving lessons.", ("finish_session", {"lessons": ["Everything was removed."],
                                                 "next_steps": ["Run at full scale."]}))
    s.say("Done.")
    s.user("yes")
    return s


def step_by_step():
    """A small model's session (`--design-tools steps`) on another domain, team chat: the
    requirements and the data model built one small call at a time, one call per answer, with
    a pattern sent before its entity and put right from what the tool says is missing."""
    chat = json.load(open(os.path.join(HERE, "..", "examples", "team-chat.json")))
    s = Script()
    s.user("Hello! I want a DynamoDB design for our team chat app.")
    s.say("Welcome. First a look at this machine.", ("check_environment", {}))
    s.say("All set, and in local mode nothing costs money.")
    s.user("yes")
    s.say("Stage 1. What does the app do, what must it achieve, and what does it store?")
    s.user("Workspaces hold channels; people post messages and react to them; we read the latest "
           "messages of a channel and a person's mentions. Reads p95 under 25 ms, writes under "
           "40 ms, budget $2000 a month. The entities and patterns are in the spec I sent.")
    s.say("I'll set the application first.", ("set_app", chat["app"]))
    patterns = [dict(p) for p in chat["access_patterns"]]
    for p in patterns:
        p.pop("target", None)
    entities = chat["entities"]
    # The first pattern arrives before its entity: the answer names what is missing.
    first = patterns[0]
    s.say(f"Now the access pattern {first['id']}.", ("put_access_pattern", first))
    for e in entities:
        s.say(f"Entity {e['name']}.", ("put_entity", e))
    for r in chat.get("relationships", []):
        s.say(f"The relationship {r['from']} to {r['to']}.", ("put_relationship", r))
    for p in patterns[1:]:
        s.say(f"Access pattern {p['id']}.", ("put_access_pattern", p))
    s.say("Nothing is missing; recording the requirements.", ("finish_requirements", {}))
    s.say("Stage1_DomainAndPatterns.md is written with the entity diagram.")
    s.user("yes")
    for i, t in enumerate(chat["tables"]):
        serves = []
        for p in chat["access_patterns"]:
            target = p.get("target") or {}
            if target.get("table") == t["name"]:
                entry = {"pattern": p["id"]}
                if target.get("index"):
                    entry["index"] = target["index"]
                serves.append(entry)
        lead = "Stage 2. One table at a time, each with the patterns it serves. " if i == 0 else ""
        s.say(f"{lead}Table {t['name']}.", ("put_table", {"table": t, "serves": serves}))
    s.say("Every pattern has a home; checking the whole model.",
          ("finish_data_model", {"deviations": chat.get("deviations", [])}))
    s.say("Every rule passes. The monthly figure:", ("estimate_cost", {}))
    s.say("Stage2_DataModel.md has the tables and the call behind every pattern.")
    return s


if __name__ == "__main__":
    h = happy()
    # The happy path approves every billable and destructive step.
    approvals = [("create_tables", True), ("run_benchmark", True), ("clean_up", True)]
    for t, y in approvals:
        h.approve(t, y)
    h.write("online-shop.jsonl")
    recovery().write("invalid-design-recovery.jsonl")
    redesign().write("decline-then-redesign.jsonl")
    aws_account().write("aws-account.jsonl", local=False)
    step_by_step().write("step-by-step.jsonl", design_tools="steps")
