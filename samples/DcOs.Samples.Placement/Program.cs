using System.Globalization;
using DcOs.Core;

// A tour of DcOs.Core: describe a small heterogeneous cluster, then place an app's instances on the cheapest agent that
// has room and satisfies the app's constraints, the way a framework scheduler would with the offers it holds.
var agents = new List<AgentInfo>
{
    Agent("a1", "cpus:8;mem:16384;disk:100000;ports:[31000-31999]", "rack:r1;type:m5", "us-east-1a", machinePerHour: 0.40, speed: 1.0),
    Agent("a2", "cpus:8;mem:16384;disk:100000;ports:[31000-31999]", "rack:r2;type:m5", "us-east-1b", machinePerHour: 0.40, speed: 1.0),
    Agent("a3", "cpus:16;mem:32768;disk:200000;ports:[31000-31999]", "rack:r3;type:c6", "us-east-1a", machinePerHour: 1.10, speed: 2.0),
    Agent("a4", "cpus:8;mem:16384;disk:100000;ports:[31000-31999]", "rack:r1;type:spot", "us-east-1c", machinePerHour: 0.12, speed: 0.8, preemptible: true),
};
var free = agents.ToDictionary(a => a.Id, a => a.Resources);

var constraints = new[] { PlacementConstraint.Parse("rack:GROUP_BY:3"), PlacementConstraint.Parse("hostname:UNIQUE") };
var instance = Resources.Parse("cpus:2;mem:2048");
var placed = new List<AgentInfo>();

Console.WriteLine($"App /web: 4 instances of {instance}, constraints {string.Join(", ", constraints.Select(c => c.ToString()))}");
for (var i = 0; i < 4; i++)
{
    var port = Resources.Of(Resource.OfRanges(ResourceNames.Ports, RangeSet.Of(31000, 31000)));
    var ask = instance + port;
    var best = agents
        .Where(a => ask.FitsIn(free[a.Id]))
        .Where(a => constraints.All(c => c.IsSatisfiedBy(a, placed)))
        .OrderBy(a => a.Cost.TaskPricePerHour(ask, a.Resources))
        .FirstOrDefault();
    if (best is null)
    {
        Console.WriteLine($"  web.{i}: pending (no agent has room and satisfies the constraints)");
        continue;
    }
    free[best.Id] -= ask;
    placed.Add(best);
    var price = best.Cost.TaskPricePerHour(ask, best.Resources);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  web.{i}: {best.Id} ({best.Hostname}, rack {best.Attributes.GetText("rack")}, zone {best.Zone}) at ${price:0.0000}/h, port 31000"));
}

Console.WriteLine();
Console.WriteLine("Free after placement:");
foreach (var a in agents) Console.WriteLine($"  {a.Id}: {free[a.Id]}");

Console.WriteLine();
Console.WriteLine("Invalid input is refused with the field and the reason:");
foreach (var bad in new Func<object>[]
         {
             () => Resources.Parse("cpus:-1"),
             () => new TaskId("../etc"),
             () => PlacementConstraint.Parse("rack:NEAR"),
             () => RangeSet.Parse("[31000-31010, 31005-31020]"),
         })
{
    try
    {
        bad();
    }
    catch (ValidationException e)
    {
        Console.WriteLine($"  {e.Message}");
    }
}

static AgentInfo Agent(string id, string resources, string attributes, string zone, double machinePerHour, double speed, bool preemptible = false) =>
    new AgentInfo
    {
        Id = new AgentId(id),
        Hostname = id + ".cluster.local",
        Resources = Resources.Parse(resources),
        Attributes = Attributes.Parse(attributes),
        Region = "us-east-1",
        Zone = zone,
        Cost = new CostModel { MachinePerHour = machinePerHour, SpeedFactor = speed, Preemptible = preemptible },
    }.Validate();
