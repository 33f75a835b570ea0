"""GenericBrain end to end over turns: Laura's workflow with no scenario, a pizza order, a thermostat."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from voicecli.emulator.brain import GenericBrain, Reply, ToolCall

THERMOSTAT = {
    "name": "set_thermostat",
    "description": "Sets the thermostat to a temperature in degrees.",
    "parameters": {"type": "OBJECT", "properties": {"temperature": {"type": "NUMBER"}}, "required": ["temperature"]},
}
SLOTS = ["2030-05-14T09:30:00-04:00", "2030-05-14T11:00:00-04:00", "2030-05-14T14:00:00-04:00",
         "2030-05-15T16:30:00-04:00"]
PROFILE = {"client_id": "cl_1", "full_name": "Ana Lopez", "date_of_birth": "1990-03-03", "state": "TX"}


def only_call(reply: Reply) -> ToolCall:
    (call,) = reply.tool_calls
    return call


def respond(brain: GenericBrain, reply: Reply, output: Any = None, *, error: Any = None) -> Reply:
    """Answer the one call of ``reply`` as the client's tool runtime would."""
    call = only_call(reply)
    response = {"error": error} if error is not None else {"output": output}
    return brain.tool_results([{"id": call.id, "name": call.name, "response": response}])


# ---- Laura, no scenario --------------------------------------------------------------------------


def test_laura_greets_in_her_name_and_role(laura: Any) -> None:
    reply = laura.brain().user_turn(laura.greeting)
    assert reply.text == ("Hi, I'm Laura, a data-driven career coach from Brooklyn who helps people get unstuck "
                          "at work. What brings you here today?")
    assert reply.tool_calls == ()


def test_laura_whole_workflow(laura: Any) -> None:
    brain = laura.brain()
    brain.greet(laura.greeting)
    intake = brain.user_turn("My name is Ana Lopez, I was born on March 3rd 1990, and I live in Texas.")
    assert only_call(intake).name == "create_client_profile" and intake.blocking
    assert only_call(intake).args == {"full_name": "Ana Lopez", "date_of_birth": "1990-03-03", "state": "TX"}
    said = respond(brain, intake, PROFILE)
    assert "Ana Lopez" in said.text and "1990-03-03" in said.text and "cl_1" not in said.text

    chat = brain.user_turn("I've been stressed at work and I'm not sleeping well.")
    assert chat.tool_calls == () and "you've been stressed at work" in chat.text

    steps = brain.user_turn("My next steps are to update my resume and ask for feedback.")
    assert only_call(steps).name == "add_action_items_to_profile"
    assert only_call(steps).args == {"client_id": "cl_1", "action_items": ["update my resume", "ask for feedback"]}
    said = respond(brain, steps, {"client_id": "cl_1", "added": 2, "action_items": ["update my resume",
                                                                                    "ask for feedback"]})
    assert "Added: 2" in said.text

    # Her rules: the next appointment first, open slots only when there is none, book only a confirmed slot.
    booking = brain.user_turn("Yes, let's book a follow-up.")
    assert only_call(booking).name == "get_next_appointment" and only_call(booking).args == {"client_id": "cl_1"}
    slots = respond(brain, booking, {"client_id": "cl_1", "appointment": None})
    assert only_call(slots).name == "get_available_appointments"
    offer = respond(brain, slots, {"client_id": "cl_1", "slots": SLOTS})
    assert offer.tool_calls == ()
    assert offer.text.endswith("Which one would you like: Tuesday May 14 at 9:30 AM, Tuesday May 14 at 11 AM "
                               "or Tuesday May 14 at 2 PM?")
    book = brain.user_turn("Yes, that works.")
    assert only_call(book).name == "schedule_appointment"
    assert only_call(book).args == {"client_id": "cl_1", "start": SLOTS[0]}
    done = respond(brain, book, {"appointment_id": "ap_1", "client_id": "cl_1", "start": SLOTS[0],
                                 "end": "2030-05-14T10:15:00-04:00", "confirmed": True})
    assert done.text == ("Schedule appointment: done. Start: Tuesday May 14 at 9:30 AM. "
                         "End: Tuesday May 14 at 10:15 AM. Confirmed: yes.")


def test_laura_intake_as_recognised_from_audio(laura: Any) -> None:
    heard = "my name is ana lopez i was born on march third nineteen ninety and i live in texas"
    reply = laura.brain().user_turn(heard)
    assert only_call(reply).args == {"full_name": "ana lopez", "date_of_birth": "1990-03-03", "state": "TX"}


def test_missing_arguments_are_asked_one_at_a_time(laura: Any) -> None:
    brain = laura.brain()
    assert brain.user_turn("My name is Ana Lopez.").text == "What is your date of birth?"
    assert brain.user_turn("the third of march nineteen ninety").text == "What is the US state you live in?"
    reply = brain.user_turn("Ohio.")
    assert only_call(reply).args == {"full_name": "Ana Lopez", "date_of_birth": "1990-03-03", "state": "OH"}


def test_an_unusable_answer_gets_the_question_again(laura: Any) -> None:
    brain = laura.brain()
    brain.user_turn("My name is Ana Lopez.")
    reply = brain.user_turn("I'm not sure what you mean.")
    assert reply.tool_calls == () and reply.text.endswith("What is your date of birth?")


def test_a_booked_session_is_told_and_no_slots_are_fetched(laura: Any) -> None:
    brain = laura.brain()
    respond(brain, brain.user_turn("My name is Ana Lopez, born March 3rd 1990, from Texas."), PROFILE)
    check = brain.user_turn("Can we book a follow-up session?")
    said = respond(brain, check, {"client_id": "cl_1", "appointment": {
        "appointment_id": "ap_1", "start": SLOTS[1], "end": "2030-05-14T11:45:00-04:00"}})
    assert said.tool_calls == ()
    assert said.text == ("Get next appointment: done. "
                         "Appointment: start Tuesday May 14 at 11 AM, end Tuesday May 14 at 11:45 AM.")


def test_declining_the_offered_slots_books_nothing(laura: Any) -> None:
    brain = laura.brain()
    respond(brain, brain.user_turn("I'm Ana Lopez, born 1990-03-03, in TX."), PROFILE)
    offer = respond(brain, respond(brain, brain.user_turn("book an appointment"), {"appointment": None}),
                    {"slots": SLOTS})
    assert offer.tool_calls == ()
    assert brain.user_turn("No, none of those suit me.").text == "All right, I'll leave that for now."
    assert brain.state()["ask"] is None


def test_a_slot_is_picked_by_its_time(laura: Any) -> None:
    brain = laura.brain()
    respond(brain, brain.user_turn("I'm Ana Lopez, born 1990-03-03, in TX."), PROFILE)
    respond(brain, respond(brain, brain.user_turn("book an appointment"), {"appointment": None}), {"slots": SLOTS})
    assert only_call(brain.user_turn("the eleven o'clock one")).args["start"] == SLOTS[1]


def test_action_items_before_the_profile_collect_the_profile_first(laura: Any) -> None:
    brain = laura.brain()
    first = brain.user_turn("Please add these action items: update my resume and ask for feedback.")
    assert first.tool_calls == () and first.text == "I need a few details first. What is your full name?"
    assert brain.user_turn("Ana Lopez").text == "What is your date of birth?"
    assert brain.user_turn("March 3rd, 1990").text == "What is the US state you live in?"
    profile = brain.user_turn("Texas")
    assert only_call(profile).name == "create_client_profile"
    items = respond(brain, profile, PROFILE)
    assert only_call(items).name == "add_action_items_to_profile"
    assert only_call(items).args == {"client_id": "cl_1", "action_items": ["update my resume", "ask for feedback"]}


def test_an_error_result_is_acknowledged_and_the_named_argument_asked_again(laura: Any) -> None:
    brain = laura.brain()
    intake = brain.user_turn("My name is Ana Lopez, I was born on March 3rd 1990, and I live in Texas.")
    said = respond(brain, intake, error={"type": "tool_error", "code": "invalid_date_of_birth",
                                         "message": "date_of_birth must be in the past"})
    assert said.tool_calls == ()
    assert said.text == ("Sorry, create client profile returned an error: date_of_birth must be in the past. "
                         "What is your date of birth?")
    again = brain.user_turn("March 4th 1991")
    assert only_call(again).args == {"full_name": "Ana Lopez", "date_of_birth": "1991-03-04", "state": "TX"}


# ---- a persona that only exists in the tests ---------------------------------------------------------


def test_pizza_order_takes_the_spoken_arguments_then_sends_the_receipt(pizza: Any) -> None:
    brain = pizza.brain()
    assert brain.user_turn(pizza.greeting).text == ("Hi, I'm Tony, the order taker at Tony's Pizza on Main Street. "
                                                    "What would you like to order?")
    assert brain.user_turn("I'd like two large pizzas with mushrooms and olives").text == "Should I deliver the order?"
    order = brain.user_turn("yes please")
    assert only_call(order).name == "place_order"
    assert only_call(order).args == {"size": "large", "quantity": 2, "toppings": ["mushrooms", "olives"],
                                     "delivery": True}
    receipt = respond(brain, order, {"order_id": "ord-7", "total": 31.0})
    assert receipt.text == "Place order: done. Total: 31. What is the email address to send the receipt to?"
    sent = brain.user_turn("it's tony dot fan at example dot com")
    assert only_call(sent).name == "send_receipt"
    assert only_call(sent).args == {"order_id": "ord-7", "email": "tony.fan@example.com"}


# ---- an SDK app's declarations -----------------------------------------------------------------


def test_thermostat_gets_the_number_said_in_words() -> None:
    brain = GenericBrain("You are a smart home assistant.", [THERMOSTAT])
    reply = brain.user_turn("set the thermostat to twenty one degrees")
    assert only_call(reply).args == {"temperature": 21}
    assert json.dumps(only_call(reply).wire()) == \
        '{"id": "call-1", "name": "set_thermostat", "args": {"temperature": 21}}'


def test_from_setup_reads_both_key_spellings() -> None:
    snake = {"system_instruction": {"parts": [{"text": "You are Ada, a home assistant."}]},
             "tools": [{"function_declarations": [THERMOSTAT]}]}
    camel = {"systemInstruction": {"parts": [{"text": "You are Ada, a home assistant."}]},
             "tools": [{"functionDeclarations": [{**THERMOSTAT, "parametersJsonSchema": {
                 "type": "object", "properties": {"temperature": {"type": "number"}}}, "parameters": None}]}]}
    for setup in (snake, camel):
        brain = GenericBrain.from_setup(setup)
        assert brain.greet().text == "Hi, I'm Ada, a home assistant. How can I help you today?"
        assert only_call(brain.user_turn("thermostat to 19 please")).args == {"temperature": 19}


def test_ids_come_from_the_session_when_given() -> None:
    ids = iter(["call-abc-1", "call-abc-2"])
    brain = GenericBrain("", [THERMOSTAT], call_ids=lambda: next(ids))
    assert only_call(brain.user_turn("set the thermostat to 20")).id == "call-abc-1"


def test_steps_follow_the_instruction_order() -> None:
    tools = [{"name": "reserve_table", "description": "Reserves a table.", "parameters": {
                 "type": "object", "properties": {"guests": {"type": "integer"}}, "required": ["guests"]}},
             {"name": "check_availability", "description": "Checks whether the restaurant has room tonight."}]
    brain = GenericBrain("Call the `check_availability` tool before reserve_table.", tools)
    check = brain.user_turn("Reserve a table for four please")
    assert only_call(check).name == "check_availability"
    reserve = respond(brain, check, {"open": True})
    assert only_call(reserve).name == "reserve_table" and only_call(reserve).args == {"guests": 4}


# ---- blocking, cancellation, resumption -------------------------------------------------------------


def test_non_blocking_calls_say_so() -> None:
    brain = GenericBrain("", [{**THERMOSTAT, "behavior": "NON_BLOCKING"}])
    reply = brain.user_turn("set the thermostat to 18")
    assert not reply.blocking and not only_call(reply).blocking
    assert reply.text == "I've started that and will tell you when it's done."
    assert respond(brain, reply, {"temperature": 18}).text == "Set thermostat: done. Temperature: 18."


def test_cancelled_calls_are_forgotten(laura: Any) -> None:
    brain = laura.brain()
    respond(brain, brain.user_turn("I'm Ana Lopez, born 1990-03-03, in TX."), PROFILE)
    check = brain.user_turn("book an appointment")
    brain.cancelled([only_call(check).id])
    assert respond(brain, check, {"appointment": None}) == Reply()  # the late answer leads nowhere
    assert brain.state()["pending"] == {} and brain.state()["goals"] == []


def test_state_survives_resumption_mid_question(laura: Any) -> None:
    brain = laura.brain()
    brain.user_turn("My favourite colour is green.")
    brain.user_turn("My name is Ana Lopez.")
    saved = json.loads(json.dumps(brain.state()))
    resumed = laura.brain()
    resumed.restore(saved)
    assert resumed.state() == brain.state()
    reply = resumed.user_turn("March 3rd 1990, and I live in Ohio")
    assert only_call(reply).args == {"full_name": "Ana Lopez", "date_of_birth": "1990-03-03", "state": "OH"}
    assert resumed.user_turn("What's my favourite colour?").text == "Your favourite colour is green."


def test_a_pending_call_survives_resumption() -> None:
    brain = GenericBrain("", [THERMOSTAT])
    call = brain.user_turn("set the thermostat to 22")
    resumed = GenericBrain("", [THERMOSTAT])
    resumed.restore(json.loads(json.dumps(brain.state())))
    assert respond(resumed, call, {"temperature": 22}).text == "Set thermostat: done. Temperature: 22."


# ---- otherwise ---------------------------------------------------------------------------------


def test_memory_in_conversation(laura: Any) -> None:
    brain = laura.brain()
    assert brain.user_turn("My favourite colour is green and I live in Ohio.").text == \
        "Got it: your favourite colour is green; you live in Ohio."
    assert brain.user_turn("What is my favourite colour?").text == "Your favourite colour is green."
    assert brain.user_turn("Where do I live?").text == "You live in Ohio."
    assert brain.user_turn("What's my dog called?").text == "You haven't told me your dog yet."


def test_other_words_are_reflected_never_counted_as_audio() -> None:
    brain = GenericBrain()
    assert brain.user_turn("I feel stuck at work these days").text == \
        "You said you feel stuck at work these days. Tell me more."
    assert brain.user_turn("What time is it?").text == \
        "You asked what time is it. I can't answer that here, but I'm listening."
    assert brain.user_turn("").text == "Sorry, I didn't catch that. Could you say it again?"
    assert brain.user_turn("thanks!").text == "You're welcome."


def test_greeting_uses_a_known_first_name() -> None:
    prompt = ("[The conversation is starting. Speak first: greet the user now, briefly.]\n"
              "What you already know about the user:\n- first name: Ana")
    assert GenericBrain("You are Laura, a career coach.").user_turn(prompt).text == \
        "Hi Ana, I'm Laura, a career coach. How can I help you today?"


_SAID = st.sampled_from([
    "My name is Ana Lopez.", "I was born on March 3rd 1990", "I live in Texas", "yes", "no", "the second one",
    "book a follow-up", "My next steps are to walk daily and read more.", "what is my name?", "hello", "",
    "I'm stressed", "cancel", "set the thermostat to twenty one",
])


@settings(max_examples=40, deadline=None)
@given(st.lists(_SAID, max_size=8), st.lists(st.sampled_from([None, {"appointment": None}, {"slots": SLOTS}]),
                                               max_size=8))
def test_same_input_same_output_and_state_is_json(laura: Any, turns: list[str], outputs: list[Any]) -> None:
    def run() -> tuple[list[Reply], dict[str, Any]]:
        brain = laura.brain()
        replies: list[Reply] = []
        for said, output in zip(turns, outputs + [None] * len(turns), strict=False):
            reply = brain.user_turn(said)
            replies.append(reply)
            if reply.tool_calls and output is not None:
                replies.append(respond(brain, reply, output))
        return replies, brain.state()

    first, second = run(), run()
    assert first == second
    assert json.loads(json.dumps(first[1])) == first[1]
    assert all("seconds of audio" not in reply.text for reply in first[0])


def test_free_text_arguments_after_a_cue_or_as_an_answer() -> None:
    weather = {"name": "get_weather", "description": "Gets the weather for a city.",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    brain = GenericBrain("", [weather])
    assert only_call(brain.user_turn("what's the weather in Paris?")).args == {"city": "Paris"}
    assert brain.user_turn("how's the weather").text == "What is the city?"
    assert only_call(brain.user_turn("in Berlin")).args == {"city": "Berlin"}


def test_a_question_about_my_thing_goes_to_the_tool_named_for_it(laura: Any) -> None:
    brain = laura.brain()
    respond(brain, brain.user_turn("I'm Ana Lopez, born 1990-03-03, in TX."), PROFILE)
    reply = brain.user_turn("What's my next appointment?")
    assert only_call(reply).name == "get_next_appointment"
