"""The epoch budget, default augmentation and tie-aware patience (no TensorFlow)."""

from dlterm.tasks import get_task
from dlterm.training.budget import (
    AUTO_PATIENCE,
    MAX_EPOCHS,
    MIN_EPOCHS,
    Patience,
    apply_defaults,
    auto_epochs,
    auto_patience,
    improved,
)


def training(**kw):
    return {"epochs": 5, "batch_size": 32, "early_stopping": True, "patience": 5, "augment": False,
            "monitor": "auto", **kw}


def test_the_budget_buys_more_epochs_on_less_data_within_bounds():
    tiny, small, medium, large = (auto_epochs(n, 32) for n in (88, 1_258, 6_800, 1_000_000))
    assert tiny > small > medium > large
    assert tiny == MAX_EPOCHS and large == MIN_EPOCHS
    assert (small, medium) == (150, 29)  # ceil(6000 steps / 40 and 213 steps per epoch)


def test_patience_is_a_tenth_of_a_long_budget_and_at_least_the_floor():
    assert auto_patience(29) == auto_patience(100) == AUTO_PATIENCE
    assert auto_patience(150) == 15 and auto_patience(MAX_EPOCHS) == MAX_EPOCHS // 10


def test_without_epochs_the_budget_replaces_the_plugin_count_and_small_image_sets_augment():
    options = training()
    notes = apply_defaults(options, set(), get_task("image-classification"), 1_258, "val_accuracy")
    assert options["epochs"] == 150 and options["augment"] is True and options["patience"] == 15
    assert len(notes) == 2 and "val_accuracy" in notes[0] and "150 epochs" in notes[0] and "augmentation" in notes[1]
    options = training()
    apply_defaults(options, {"patience"}, get_task("image-classification"), 1_258, "val_accuracy")
    assert options["patience"] == 5  # given: kept


def test_explicit_settings_are_never_changed():
    options = training()
    assert apply_defaults(options, {"epochs"}, get_task("image-classification"), 500, "val_accuracy") == []
    assert options == training()
    options = training()
    apply_defaults(options, {"augment"}, get_task("image-classification"), 500, "val_accuracy")
    assert options["augment"] is False and options["epochs"] == auto_epochs(500, 32)
    options = training(early_stopping=False)  # nothing would stop an automatic run: keep the fixed count
    assert apply_defaults(options, set(), get_task("image-classification"), 500, "val_accuracy") == []
    assert options["epochs"] == 5


def test_no_augmentation_for_big_image_sets_or_other_tasks_and_a_larger_plugin_count_wins():
    options = training()
    apply_defaults(options, set(), get_task("image-classification"), 50_000, "val_accuracy")
    assert options["augment"] is False and options["epochs"] == MIN_EPOCHS
    options = training(epochs=100)
    apply_defaults(options, set(), get_task("text-classification"), 20_000, "val_accuracy")
    assert options["augment"] is False and options["epochs"] == 100


def test_a_tie_with_a_lower_loss_is_an_improvement_a_plain_tie_is_not():
    best = {"value": 0.9, "val_loss": 0.30}
    assert improved({"val_accuracy": 0.91, "val_loss": 0.5}, best, "val_accuracy", "max")
    assert improved({"val_accuracy": 0.9, "val_loss": 0.25}, best, "val_accuracy", "max")
    assert not improved({"val_accuracy": 0.9, "val_loss": 0.30}, best, "val_accuracy", "max")
    assert not improved({"val_accuracy": 0.89, "val_loss": 0.1}, best, "val_accuracy", "max")
    assert improved({"val_loss": 0.2}, {"value": 0.3}, "val_loss", "min")
    assert not improved({"val_loss": 0.3}, {"value": 0.3}, "val_loss", "min")
    assert improved({"val_accuracy": 0.5}, {}, "val_accuracy", "max")
    assert not improved({"loss": 0.5}, {}, "val_accuracy", "max")


def test_patience_does_not_stop_on_ties_while_the_loss_falls():
    patience = Patience("val_accuracy", "max", 2)
    epochs = [(0.95, 0.30), (0.97, 0.20), (0.97, 0.15), (0.97, 0.12), (0.97, 0.10)]  # accuracy flat, loss falling
    assert all(not patience.update({"val_accuracy": a, "val_loss": loss})[1] for a, loss in epochs)
    assert patience.best == {"value": 0.97, "val_loss": 0.10}
    assert patience.update({"val_accuracy": 0.97, "val_loss": 0.11}) == (False, False)
    assert patience.update({"val_accuracy": 0.96, "val_loss": 0.12}) == (False, True)  # 2 epochs without progress


def test_patience_starts_from_a_resumed_runs_best():
    patience = Patience("val_loss", "min", 1, {"value": 0.2})
    assert patience.update({"val_loss": 0.25}) == (False, True)
