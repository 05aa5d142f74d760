"""Events out: what Switchboard publishes to EventBridge (docs/events.md).

``schema`` names the events, their families and their detail shapes; ``publisher``
puts them on the bus (batched PutEvents, only the families the stack opted into);
``streams`` turns DynamoDB stream records of the message path into events, so that
publishing adds nothing to a send.
"""
