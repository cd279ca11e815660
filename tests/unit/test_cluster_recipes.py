"""Cluster recipes (dlterm launch --emit) and cluster discovery from the environment: no TensorFlow."""

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from dlterm.cluster_recipes import RecipeOptions, render, to_yaml, worker_hosts
from dlterm.errors import DltermError
from dlterm.training import cluster_discovery as cd
from dlterm.training.distribute import lost_worker_report
from tests.conftest import run_cli

TRAIN = ["train", "cnn", "--epochs", "3", "--set", "data.samples=200", "--set", "hint=it's \"quoted\" ü"]


def k8s_objects(text: str) -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all(text) if d]
    return {d["kind"]: d for d in docs}


def test_k8s_recipe_is_an_indexed_job_with_a_headless_service_that_names_its_pods():
    text = render("k8s", TRAIN, RecipeOptions(workers=3, image="reg/dlterm:1", pvc="shared-models", gpus=1))
    objects = k8s_objects(text)
    assert set(objects) == {"Job", "Service"}
    job, service = objects["Job"], objects["Service"]
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == 3
    assert spec["backoffLimit"] == 0
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"] is True
    # DNS: pod i of Job J with subdomain S (a headless Service selecting it) is J-i.S
    assert pod["subdomain"] == service["metadata"]["name"]
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    port = service["spec"]["ports"][0]["port"]
    assert env["DLTERM_WORKER_HOSTS"].split(",") == [f"{job['metadata']['name']}-{i}.{service['metadata']['name']}:{port}"
                                                      for i in range(3)]
    assert container["ports"][0]["containerPort"] == port
    assert container["command"] == ["dlterm", *TRAIN, "--strategy", "multiworker"]  # the quoted text survives
    mount = container["volumeMounts"][0]
    assert mount["mountPath"] == env["DLTERM_HOME"] == "/models"
    assert pod["volumes"] == [{"name": mount["name"], "persistentVolumeClaim": {"claimName": "shared-models"}}]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1 and container["image"] == "reg/dlterm:1"


def test_k8s_recipe_without_a_claim_warns_that_the_run_is_lost():
    text = render("k8s", ["train", "--resume", "cnn-20261124-175502"], RecipeOptions(image="img"))
    job = k8s_objects(text)["Job"]
    assert job["metadata"]["name"] == "dlterm-cnn-20261124-175502"
    assert job["spec"]["template"]["spec"]["volumes"][0]["emptyDir"] == {}
    assert "WARNING: no --pvc" in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_slurm_recipe_is_valid_bash_running_one_srun_task_per_node(tmp_path):
    script = tmp_path / "job.sbatch"
    script.write_text(render("slurm", TRAIN, RecipeOptions(workers=4, gpus=2, time_limit="2:00:00", models_path="/shared/my models")))
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    directives = dict(line[len("#SBATCH "):].split("=", 1) for line in text.splitlines() if line.startswith("#SBATCH"))
    assert directives["--nodes"] == "4" and directives["--ntasks-per-node"] == "1"
    assert directives["--gpus-per-node"] == "2" and directives["--time"] == "2:00:00"
    srun = next(line for line in text.splitlines() if line.startswith("srun "))
    # what the shell would run: the same train command, with the quoting intact
    echoed = subprocess.run(["bash", "-c", "srun() { printf '%s\\n' \"$@\"; }; " + srun], capture_output=True, text=True)
    assert echoed.stdout.splitlines() == ["--kill-on-bad-exit=1", "dlterm", *TRAIN, "--strategy", "multiworker"]
    exported = subprocess.run(["bash", "-c", "\n".join(line for line in text.splitlines() if line.startswith("export DLTERM_HOME"))
                               + "\nprintf %s \"$DLTERM_HOME\""], capture_output=True, text=True)
    assert exported.stdout == "/shared/my models"


def test_slurm_recipe_without_a_models_path_uses_the_submit_folder():
    text = render("slurm", ["train", "cnn"], RecipeOptions())
    line = next(x for x in text.splitlines() if x.startswith("export DLTERM_HOME"))
    out = subprocess.run(["bash", "-c", line + '\nprintf %s "$DLTERM_HOME"'], capture_output=True, text=True,
                         env={"SLURM_SUBMIT_DIR": "/home/u/exp", "PATH": "/usr/bin:/bin"})
    assert out.stdout == "/home/u/exp/models"


@pytest.mark.parametrize("kind, args, options, message", [
    ("k8s", ["train", "cnn"], RecipeOptions(), "needs --image"),
    ("k8s", ["evaluate", "latest"], RecipeOptions(image="i"), "for a training command"),
    ("slurm", ["train", "cnn", "--strategy", "mirrored"], RecipeOptions(), "not 'mirrored'"),
    ("slurm", ["train", "cnn", "--strategy=default"], RecipeOptions(), "not 'default'"),
    ("slurm", ["train", "cnn"], RecipeOptions(name="Bad_Name"), "invalid recipe name"),
    ("slurm", ["train", "cnn"], RecipeOptions(time_limit="2h; rm -rf /"), "invalid --time"),
    ("pbs", ["train", "cnn"], RecipeOptions(), "unknown recipe kind"),
])
def test_bad_recipe_requests_are_clear_errors(kind, args, options, message):
    with pytest.raises(DltermError, match=message.replace("(", r"\(")):
        render(kind, args, options)


def test_an_explicit_multiworker_strategy_is_kept_once():
    text = render("slurm", ["train", "cnn", "--strategy", "multiworker"], RecipeOptions())
    srun = next(line for line in text.splitlines() if line.startswith("srun "))
    assert srun.split().count("--strategy") == 1


def test_yaml_writer_round_trips_nested_values():
    value = {"a": [{"b": 1, "c": ["x", {"d": True}]}, "e: f", []], "g": {}, "h": "line\nbreak \"q\" #"}
    assert yaml.safe_load("\n".join(to_yaml(value))) == value


# ---- discovery ---------------------------------------------------------------------------------

def test_indexed_job_environment_becomes_tf_config():
    hosts = ",".join(worker_hosts("dlterm-cnn", 3, 2222))
    env = {"JOB_COMPLETION_INDEX": "2", "DLTERM_WORKER_HOSTS": hosts}
    assert cd.export_tf_config(env) == "kubernetes"
    assert json.loads(env["TF_CONFIG"]) == {"cluster": {"worker": hosts.split(",")}, "task": {"type": "worker", "index": 2}}


def test_tf_config_wins_over_scheduler_variables():
    env = {"TF_CONFIG": '{"cluster": {}}', "JOB_COMPLETION_INDEX": "0", "SLURM_PROCID": "0"}
    assert cd.export_tf_config(env) == "TF_CONFIG" and env["TF_CONFIG"] == '{"cluster": {}}'


@pytest.mark.parametrize("env, message", [
    ({}, "found no cluster"),
    ({"JOB_COMPLETION_INDEX": "0"}, "DLTERM_WORKER_HOSTS is not"),
    ({"DLTERM_WORKER_HOSTS": "a:1,b:1"}, "JOB_COMPLETION_INDEX is not"),
    ({"JOB_COMPLETION_INDEX": "2", "DLTERM_WORKER_HOSTS": "a:1,b:1"}, "not an index"),
    ({"JOB_COMPLETION_INDEX": "-1", "DLTERM_WORKER_HOSTS": "a:1,b:1"}, "not an index"),
    ({"JOB_COMPLETION_INDEX": "0", "DLTERM_WORKER_HOSTS": "a:1,b"}, "'b', not host:port"),
    ({"JOB_COMPLETION_INDEX": "0", "DLTERM_WORKER_HOSTS": "a:1,a:1"}, "names a worker twice"),
    ({"JOB_COMPLETION_INDEX": "0", "DLTERM_WORKER_HOSTS": "a:99999"}, "not host:port"),
    ({"SLURM_PROCID": "0"}, "Slurm step without SLURM_STEP_NUM_TASKS"),
    ({"SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "2", "SLURM_STEP_NODELIST": "n1",
      "SLURM_STEP_TASKS_PER_NODE": "2", "DLTERM_PORT_BASE": "80"}, "not a port number"),
])
def test_incomplete_cluster_environments_are_clear_errors(env, message):
    with pytest.raises(DltermError, match=message):
        cd.check(env)
    assert "TF_CONFIG" not in env


class UnavailableError(Exception):  # stands for tf.errors.UnavailableError (same class name)
    pass


def test_a_lost_worker_is_reported_plainly_with_the_resume_command():
    error = UnavailableError("Collective ops is aborted by: Error reported from /job:worker/task:1: The following tasks "
                             "are unhealthy (stopped sending heartbeats):\n/job:worker/replica:0/task:1\nThe tasks have crashed.")
    message, hint = lost_worker_report(error, "cnn-20261125-134325", 2)
    assert message.startswith("worker 1 of the cluster was lost") and "after epoch 2" in message
    assert "train --resume cnn-20261125-134325" in hint and "--strategy default" in hint
    assert lost_worker_report(ValueError("unhealthy /job:worker/replica:0/task:1"), "r", 2) is None


@pytest.mark.parametrize("workers, index, who", [(2, 0, "worker 1"), (2, 1, "worker 0"), (3, 0, "a worker")])
def test_a_reset_connection_names_the_lost_worker_when_it_can_only_be_one(workers, index, who):
    # the other variant: the in-flight collective's connection breaks before the heartbeats are missed
    error = UnavailableError("Collective ops is aborted by: recvmsg:Connection reset by peer")
    config = {"cluster": {"worker": [f"h{i}:1" for i in range(workers)]}, "task": {"type": "worker", "index": index}}
    message, _ = lost_worker_report(error, "r", 1, config)
    assert message.startswith(f"{who} of the cluster was lost")


def test_a_slurm_task_given_another_nodes_address_is_refused():
    # SlurmClusterResolver sorts "n10" before "n9"; task 0 runs on n9 (Slurm's order)
    config = {"cluster": {"worker": ["n10:8888", "n9:8888"]}, "task": {"type": "worker", "index": 0}}
    with pytest.raises(DltermError, match="runs on n9 but the resolved cluster puts it at n10:8888"):
        cd.check_own_host(config, {"SLURMD_NODENAME": "n9", "SLURM_PROCID": "0"})
    cd.check_own_host(config, {"SLURMD_NODENAME": "n10", "SLURM_PROCID": "0"})  # consistent: accepted
    cd.check_own_host(config, {})  # not under slurmd (nothing to compare)


def test_launch_emit_writes_the_recipe_file_without_tensorflow(env, tmp_path):
    target = tmp_path / "job.sbatch"
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "dlterm", "launch", "--emit", "slurm", "--workers", "3",
                             "-o", str(target), "--", "train", "cnn", "--epochs", "2"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "" and f"wrote {target}" in result.stderr
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "dlterm.cluster_recipes" in imported and not [m for m in imported if m.split(".")[0] in ("tensorflow", "tf_keras")]
    assert "#SBATCH --nodes=3" in target.read_text() and subprocess.run(["bash", "-n", str(target)]).returncode == 0


def test_launch_emit_bad_request_is_one_line_and_keeps_the_old_file(env, tmp_path):
    target = tmp_path / "job.yaml"
    target.write_text("old\n")
    result = run_cli(["launch", "--emit", "k8s", "-o", str(target), "--", "train", "cnn"], env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "needs --image" in result.stderr
    assert target.read_text() == "old\n"
