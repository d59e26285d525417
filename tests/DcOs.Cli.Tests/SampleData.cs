namespace DcOs.Cli.Tests;

/// <summary>Canned answers with the exact shapes of docs/http-api.md.</summary>
public static class SampleData
{
    public const string Agents = """
        [
          { "id": "agent-1", "hostname": "node-a", "status": "Active",
            "attributes": { "rack": "r1" }, "region": "eu", "zone": "eu-1",
            "total": { "cpus": 4, "mem": 8192, "disk": 10000, "gpus": 0, "ports": "[31000-31999]" },
            "used": { "cpus": 1.5, "mem": 512, "disk": 0, "gpus": 0, "ports": "[31001-31001]" },
            "offered": { "cpus": 0, "mem": 0, "disk": 0, "gpus": 0, "ports": "" },
            "activeTasks": 3, "isolationWarning": null,
            "cost": { "machinePerHour": 0.2, "speedFactor": 1.0, "preemptible": false },
            "registeredAt": "2025-01-01T00:00:00Z" },
          { "id": "agent-2", "hostname": "node-b", "status": "Draining",
            "attributes": {}, "region": null, "zone": null,
            "total": { "cpus": 2, "mem": 4096, "disk": 5000, "gpus": 0, "ports": "[31000-31999]" },
            "used": { "cpus": 0.25, "mem": 64, "disk": 0, "gpus": 0, "ports": "" },
            "offered": { "cpus": 0, "mem": 0, "disk": 0, "gpus": 0, "ports": "" },
            "activeTasks": 1, "isolationWarning": "no cgroups: limits are not enforced",
            "cost": { "machinePerHour": 0.05, "speedFactor": 0.5, "preemptible": true },
            "registeredAt": "2025-01-01T00:00:00Z" }
        ]
        """;

    public const string Tasks = """
        [
          { "id": "web.v1.aaaa", "appId": "/web", "jobId": null, "frameworkId": "fw-services", "agentId": "agent-1",
            "hostname": "node-a", "state": "TASK_RUNNING", "message": null, "healthy": true,
            "startedAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:01Z", "cpus": 0.1, "mem": 32, "ports": [31001] },
          { "id": "hello.run-1.bbbb", "appId": null, "jobId": "hello", "frameworkId": "fw-jobs", "agentId": "agent-2",
            "hostname": "node-b", "state": "TASK_STAGING", "message": null, "healthy": null,
            "startedAt": null, "updatedAt": "2025-01-01T00:00:01Z", "cpus": 0.1, "mem": 32, "ports": [] }
        ]
        """;

    public const string Log = """{ "data": "serving on 31001\nGET / 200\n", "offset": 0, "fileSize": 27 }""";

    public static string App(int running, int instances, bool? deploying = null, string id = "/web", int version = 1) => $$"""
        { "id": "{{id}}", "cmd": "python3 -m http.server $PORT0", "args": null, "cpus": 0.1, "mem": 32, "disk": 0, "gpus": 0,
          "instances": {{instances}}, "ports": [0], "env": { "MODE": "prod" },
          "constraints": [["hostname", "UNIQUE"]],
          "healthChecks": [{ "protocol": "HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 10,
                             "intervalSeconds": 10, "timeoutSeconds": 20, "maxConsecutiveFailures": 3 }],
          "costObjective": "cheapest",
          "upgradeStrategy": { "minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0 },
          "tasksRunning": {{running}}, "tasksHealthy": {{running}}, "tasksStaged": {{instances - running}},
          "version": {{version}}, "deploying": {{(deploying ?? running != instances ? "true" : "false")}},
          "tasks": [
            { "id": "web.v1.aaaa", "state": "TASK_RUNNING", "agentId": "agent-1", "host": "node-a", "healthy": true,
              "version": 1, "startedAt": "2025-01-01T00:00:00Z", "ports": [31001] }
          ] }
        """;

    public static string Apps => $"[{App(2, 2)}, {App(1, 3, id: "/sleep")}]";

    public const string AppFile = """
        {"id": "/web", "cmd": "python3 -m http.server $PORT0", "cpus": 0.1, "mem": 32, "instances": 5, "ports": [0]}
        """;

    public const string Job = """
        { "id": "hello", "run": { "cmd": "echo hello", "cpus": 0.1, "mem": 32, "disk": 0, "maxRetries": 1,
          "estimatedDurationSeconds": 60, "deadlineSeconds": null }, "schedule": "*/5 * * * *" }
        """;

    public const string Jobs = """
        [
          { "id": "hello", "run": { "cmd": "echo hello", "cpus": 0.1, "mem": 32, "disk": 0, "maxRetries": 1,
            "estimatedDurationSeconds": 60, "deadlineSeconds": null }, "schedule": "*/5 * * * *",
            "lastRun": { "runId": "hello-20250101", "status": "SUCCESS", "exitCode": 0, "message": "done", "taskId": "t1",
              "agentId": "agent-1", "attempts": 1, "startedAt": "2025-01-01T00:00:00Z", "finishedAt": "2025-01-01T00:00:05Z", "costEstimate": 0.0001 } },
          { "id": "nightly-report", "run": { "cmd": "sleep 20", "cpus": 0.5, "mem": 64, "disk": 0, "maxRetries": 2,
            "estimatedDurationSeconds": 60, "deadlineSeconds": 600 }, "schedule": "0 3 * * *", "lastRun": null }
        ]
        """;

    public const string History = """
        [
          { "runId": "hello-2", "status": "FAILED", "exitCode": 3, "message": "exited with 3", "taskId": "t2",
            "agentId": "agent-2", "attempts": 2, "startedAt": "2025-01-01T01:00:00Z", "finishedAt": "2025-01-01T01:00:10Z", "costEstimate": 0.0002 },
          { "runId": "hello-1", "status": "SUCCESS", "exitCode": 0, "message": "done", "taskId": "t1",
            "agentId": "agent-1", "attempts": 1, "startedAt": "2025-01-01T00:00:00Z", "finishedAt": "2025-01-01T00:00:05Z", "costEstimate": 0.0001 }
        ]
        """;

    public const string Pending = """
        [
          { "appId": "/web", "jobId": null, "waiting": 3, "reasons": { "InsufficientCpus": 12, "Constraint": 3 },
            "summary": "3 waiting; most offers rejected for InsufficientCpus" },
          { "appId": null, "jobId": "hello", "waiting": 1, "reasons": {}, "summary": "1 waiting for offers" }
        ]
        """;

    public const string Cost = """
        { "billing": "machine", "totalPerHour": 0.25, "idlePerHour": 0.05, "idleMachines": 1,
          "firstFitPerHour": 0.45, "firstFitUnplaced": 0, "savingsVsFirstFitPerHour": 0.25,
          "byAgent": [ { "agentId": "agent-1", "hostname": "node-a", "perHour": 0.2, "machinePerHour": 0.2, "tasks": 7, "idle": false, "utilization": 0.375 },
                       { "agentId": "agent-2", "hostname": "node-b", "perHour": 0.05, "machinePerHour": 0.05, "tasks": 0, "idle": true, "utilization": 0 } ],
          "byApp": [ { "appId": "/web", "perHour": 0.15, "instances": 2 }, { "appId": "/sleep", "perHour": 0.05, "instances": 5 } ] }
        """;

    public const string Consolidation = """
        { "maxMoves": 3, "moves": [ { "taskId": "quick.1", "appId": "/quick", "from": "node-b", "to": "node-a", "fromAgentId": "b", "toAgentId": "a", "gpuDevices": [] } ],
          "machinesSwitchedOff": ["node-b"], "idleMachines": ["node-c"], "idlePerHour": 0.25, "billBeforePerHour": 0.6, "billAfterPerHour": 0.1, "savingsPerHour": 0.5 }
        """;
}
