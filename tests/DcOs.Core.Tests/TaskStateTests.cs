using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class TaskStateTests
{
    [Theory]
    [InlineData(TaskState.Staging, false)]
    [InlineData(TaskState.Starting, false)]
    [InlineData(TaskState.Running, false)]
    [InlineData(TaskState.Killing, false)]
    [InlineData(TaskState.Finished, true)]
    [InlineData(TaskState.Failed, true)]
    [InlineData(TaskState.Killed, true)]
    [InlineData(TaskState.Error, true)]
    [InlineData(TaskState.Lost, true)]
    [InlineData(TaskState.Dropped, true)]
    [InlineData(TaskState.Unreachable, false)]
    [InlineData(TaskState.Gone, true)]
    [InlineData(TaskState.GoneByOperator, true)]
    [InlineData(TaskState.Unknown, false)]
    public void IsTerminal(TaskState state, bool terminal)
    {
        Assert.Equal(terminal, state.IsTerminal());
    }

    [Fact]
    public void The_terminal_table_covers_every_state()
    {
        Assert.Equal(14, Enum.GetValues<TaskState>().Length);
        Assert.Equal(8, Enum.GetValues<TaskState>().Count(s => s.IsTerminal()));
    }

    [Theory]
    [InlineData(TaskState.Staging, true)]
    [InlineData(TaskState.Running, true)]
    [InlineData(TaskState.Killing, true)]
    [InlineData(TaskState.Unreachable, true)]
    [InlineData(TaskState.Unknown, false)]
    [InlineData(TaskState.Finished, false)]
    [InlineData(TaskState.GoneByOperator, false)]
    public void IsActive_is_neither_terminal_nor_unknown(TaskState state, bool active)
    {
        Assert.Equal(active, state.IsActive());
    }

    [Theory]
    [InlineData(TaskState.Staging, "TASK_STAGING")]
    [InlineData(TaskState.Starting, "TASK_STARTING")]
    [InlineData(TaskState.Running, "TASK_RUNNING")]
    [InlineData(TaskState.Killing, "TASK_KILLING")]
    [InlineData(TaskState.Finished, "TASK_FINISHED")]
    [InlineData(TaskState.Failed, "TASK_FAILED")]
    [InlineData(TaskState.Killed, "TASK_KILLED")]
    [InlineData(TaskState.Error, "TASK_ERROR")]
    [InlineData(TaskState.Lost, "TASK_LOST")]
    [InlineData(TaskState.Dropped, "TASK_DROPPED")]
    [InlineData(TaskState.Unreachable, "TASK_UNREACHABLE")]
    [InlineData(TaskState.Gone, "TASK_GONE")]
    [InlineData(TaskState.GoneByOperator, "TASK_GONE_BY_OPERATOR")]
    [InlineData(TaskState.Unknown, "TASK_UNKNOWN")]
    public void MesosName_and_Parse_agree(TaskState state, string mesosName)
    {
        Assert.Equal(mesosName, state.MesosName());
        Assert.Equal(state, TaskStates.Parse(mesosName));
        Assert.Equal(state, TaskStates.Parse(mesosName.ToLowerInvariant()));
        Assert.Equal(state, TaskStates.Parse(state.ToString()));
        Assert.Equal(state, TaskStates.Parse(state.ToString().ToUpperInvariant()));
    }

    [Theory]
    [InlineData(" TASK_RUNNING ", TaskState.Running)]
    [InlineData("running", TaskState.Running)]
    [InlineData("GoneByOperator", TaskState.GoneByOperator)]
    [InlineData("task_gone_by_operator", TaskState.GoneByOperator)]
    [InlineData(" Killed ", TaskState.Killed)]
    public void Parse_accepts_both_forms_in_any_case(string text, TaskState expected)
    {
        Assert.Equal(expected, TaskStates.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("TASK_")]
    [InlineData("TASK_RUN")]
    [InlineData("RUNNING_TASK")]
    [InlineData("TASK_TASK_RUNNING")]
    [InlineData("Runnin")]
    [InlineData("Gone_By_Operator")]
    [InlineData("2")]
    [InlineData("99")]
    [InlineData("-1")]
    [InlineData("Running,Killed")]
    [InlineData("Staging, Running")]
    public void Parse_refuses_junk(string text)
    {
        var e = ValidationAssert.Refuses("state", () => TaskStates.Parse(text));
        Assert.Contains("TASK_RUNNING", e.Reason, StringComparison.Ordinal);
        ValidationAssert.Refuses("status.state", () => TaskStates.Parse(text, "status.state"));
    }

    [Fact]
    public void Parse_refuses_null()
    {
        ValidationAssert.Refuses("state", () => TaskStates.Parse(null!));
    }

    [Fact]
    public void A_status_needs_acknowledgement_only_with_an_update_id()
    {
        var status = new TaskStatusUpdate { TaskId = new TaskId("t1"), State = TaskState.Running };

        Assert.False(status.NeedsAcknowledgement);
        Assert.True((status with { UpdateId = new Guid("3f2504e0-4f89-11d3-9a0c-0305e82c3301") }).NeedsAcknowledgement);
    }
}
