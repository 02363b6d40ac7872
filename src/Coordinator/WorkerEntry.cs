using Akka.Actor;

namespace SegaLearn.Coordinator;

/// <summary>
/// What the coordinator knows of one registered worker: its actor, the channel its blocks and results travel on, how
/// many assignments it asked for (credits), the blocks it holds, the parameter version it was last sent and how
/// many invalid results it returned.
/// </summary>
public sealed class WorkerEntry(int id, IActorRef actor, string name, IWorkerChannel channel)
{
    private readonly List<int> _outstanding = [];

    public int Id { get; } = id;

    public IActorRef Actor { get; } = actor;

    public string Name { get; } = name;

    public IWorkerChannel Channel { get; } = channel;

    public bool InProcess => Channel.InProcess;

    public int Credits { get; set; }

    public int Strikes { get; set; }

    /// <summary>The parameter version last sent on the data plane (remote workers); -1 before the first.</summary>
    public long ParametersSent { get; set; } = -1;

    public IReadOnlyList<int> Outstanding => _outstanding;

    public bool HasRoom => _outstanding.Count < Credits;

    public void Assign(int blockIndex) => _outstanding.Add(blockIndex);

    public bool Complete(int blockIndex) => _outstanding.Remove(blockIndex);

    /// <summary>Takes back every block the worker holds (it died, or its step ended).</summary>
    public int[] TakeOutstanding()
    {
        var blocks = _outstanding.ToArray();
        _outstanding.Clear();
        return blocks;
    }

    public override string ToString() => $"#{Id} {Name}";
}
