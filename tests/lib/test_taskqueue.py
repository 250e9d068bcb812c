"""lib.taskqueue.unresolved: which dotted task names a worker could not run."""

from lib.taskqueue import unresolved


def test_names_that_resolve_to_callables_pass():
    assert unresolved(["lib.taskqueue.enqueue", "gateways.tasks.tick"]) == {}


def test_a_missing_module_a_missing_attribute_and_a_non_callable_are_each_named():
    failed = unresolved(["no_such_app.tasks.run", "lib.taskqueue.gone", "lib.taskqueue.logger"])
    assert "No module named 'no_such_app'" in failed["no_such_app.tasks.run"]
    assert 'does not define a "gone"' in failed["lib.taskqueue.gone"]
    assert failed["lib.taskqueue.logger"] == "it is not callable"
