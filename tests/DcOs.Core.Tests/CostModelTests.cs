using DcOs.Core;

namespace DcOs.Core.Tests;

public sealed class CostModelTests
{
    private static readonly Resources Machine = Resources.Parse("cpus:4;mem:8192;disk:10000");
    private static readonly Resources TaskShape = Resources.Parse("cpus:2;mem:1024");

    private static readonly Dictionary<string, double> UnitPrices = new() { ["cpus"] = 0.02, ["mem"] = 0.000005 };

    [Fact]
    public void Free_costs_nothing_at_reference_speed()
    {
        Assert.Equal(0.0, CostModel.Free.TaskPricePerHour(TaskShape, Machine));
        Assert.Equal(0.0, CostModel.Free.MachinePricePerHour(Machine));
        Assert.Equal(1.0, CostModel.Free.SpeedFactor);
        Assert.False(CostModel.Free.Preemptible);
        Assert.Equal(TimeSpan.FromHours(3), CostModel.Free.RuntimeFor(TimeSpan.FromHours(3)));
    }

    [Fact]
    public void Per_unit_prices_are_summed_over_the_tasks_scalars()
    {
        var cost = new CostModel { PerUnitPerHour = UnitPrices };

        // 2 cpus * 0.02 + 1024 MiB * 0.000005
        Assert.Equal(0.04512, cost.TaskPricePerHour(TaskShape, Machine), 12);
    }

    [Fact]
    public void Per_unit_prices_count_every_role_and_ignore_unpriced_resources()
    {
        var cost = new CostModel { PerUnitPerHour = new Dictionary<string, double> { ["cpus"] = 0.5 } };

        Assert.Equal(1.5, cost.TaskPricePerHour(Resources.Parse("cpus:1;cpus(web):2;mem:100;gpus:1"), Machine), 12);
    }

    [Fact]
    public void Machine_price_is_apportioned_by_the_tasks_dominant_share()
    {
        var cost = new CostModel { MachinePerHour = 1.0 };

        // cpus 2/4 = 0.5 dominates mem 1024/8192 = 0.125.
        Assert.Equal(0.5, cost.TaskPricePerHour(TaskShape, Machine), 12);
        Assert.Equal(0.25, cost.TaskPricePerHour(Resources.Parse("cpus:0.5;mem:2048"), Machine), 12);
        Assert.Equal(1.0, cost.TaskPricePerHour(Machine, Machine), 12);
        Assert.Equal(0.0, cost.TaskPricePerHour(Resources.Empty, Machine));
    }

    [Fact]
    public void Tasks_filling_a_machine_add_up_to_the_machine_price()
    {
        var cost = new CostModel { MachinePerHour = 2.4 };
        var quarter = Resources.Parse("cpus:1;mem:2048;disk:2500");

        var total = Enumerable.Range(0, 4).Sum(_ => cost.TaskPricePerHour(quarter, Machine));

        Assert.Equal(2.4, total, 12);
    }

    [Fact]
    public void Machine_and_unit_prices_combine()
    {
        var cost = new CostModel { MachinePerHour = 1.0, PerUnitPerHour = UnitPrices };

        Assert.Equal(0.5 + 0.04512, cost.TaskPricePerHour(TaskShape, Machine), 12);
    }

    [Fact]
    public void MachinePricePerHour_is_the_machine_price_plus_every_unit_at_its_price()
    {
        Assert.Equal(1.5, new CostModel { MachinePerHour = 1.5 }.MachinePricePerHour(Machine), 12);
        // 4 * 0.02 + 8192 * 0.000005
        Assert.Equal(0.12096, new CostModel { PerUnitPerHour = UnitPrices }.MachinePricePerHour(Machine), 12);
        Assert.Equal(1.12096, new CostModel { MachinePerHour = 1.0, PerUnitPerHour = UnitPrices }.MachinePricePerHour(Machine), 12);
    }

    [Fact]
    public void Speed_factor_two_halves_the_runtime()
    {
        var fast = new CostModel { SpeedFactor = 2 };
        var slow = new CostModel { SpeedFactor = 0.5 };

        Assert.Equal(TimeSpan.FromMinutes(30), fast.RuntimeFor(TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.FromHours(2), slow.RuntimeFor(TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.Zero, fast.RuntimeFor(TimeSpan.Zero));
    }

    [Fact]
    public void TaskCost_is_price_per_hour_times_runtime_on_this_machine()
    {
        var cost = new CostModel { MachinePerHour = 1.0, SpeedFactor = 2 };

        // 0.5 per hour, 4 reference hours take 2 hours here.
        Assert.Equal(1.0, cost.TaskCost(TaskShape, Machine, TimeSpan.FromHours(4)), 12);
        Assert.Equal(2.0, (cost with { SpeedFactor = 1 }).TaskCost(TaskShape, Machine, TimeSpan.FromHours(4)), 12);
    }

    [Fact]
    public void Negative_duration_is_refused()
    {
        ValidationAssert.Refuses("duration", () => CostModel.Free.RuntimeFor(TimeSpan.FromSeconds(-1)));
        ValidationAssert.Refuses("duration", () => CostModel.Free.TaskCost(TaskShape, Machine, TimeSpan.FromSeconds(-1)));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Invalid_prices_are_refused_naming_the_field(double price)
    {
        ValidationAssert.Refuses("cost.machinePerHour", () => new CostModel { MachinePerHour = price });
        ValidationAssert.Refuses("cost.perUnitPerHour.cpus", () => new CostModel { PerUnitPerHour = new Dictionary<string, double> { ["cpus"] = price } });
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Speed_factor_must_be_positive_and_finite(double factor)
    {
        ValidationAssert.Refuses("cost.speedFactor", () => new CostModel { SpeedFactor = factor });
    }

    [Fact]
    public void Unit_prices_need_valid_resource_names()
    {
        ValidationAssert.Refuses("cost.perUnitPerHour", () => new CostModel { PerUnitPerHour = new Dictionary<string, double> { ["bad name"] = 1 } });
    }

    [Fact]
    public void Unit_prices_are_copied_so_later_changes_to_the_dictionary_do_not_leak_in()
    {
        var prices = new Dictionary<string, double> { ["cpus"] = 1.0 };
        var cost = new CostModel { PerUnitPerHour = prices };

        prices["cpus"] = 100.0;

        Assert.Equal(2.0, cost.TaskPricePerHour(Resources.Parse("cpus:2"), Machine), 12);
    }

    [Fact]
    public void Cost_models_compare_by_value()
    {
        var a = new CostModel { MachinePerHour = 1, PerUnitPerHour = UnitPrices, SpeedFactor = 2, Preemptible = true };
        var b = new CostModel { MachinePerHour = 1, PerUnitPerHour = new Dictionary<string, double>(UnitPrices), SpeedFactor = 2, Preemptible = true };

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Preemptible = false });
        Assert.NotEqual(a, b with { SpeedFactor = 3 });
        Assert.NotEqual(a, b with { PerUnitPerHour = new Dictionary<string, double> { ["cpus"] = 0.02 } });
        Assert.Equal(CostModel.Free, new CostModel());
    }
}
