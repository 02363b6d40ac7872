using Akka.Actor;

namespace SegaLearn.Coordinator;

/// <summary>
/// The registered workers of a job. Picks the next worker for a block by least outstanding work among those with a
/// free credit (ties to the lowest id), so blocks spread evenly and a fast worker, returning credits sooner, takes more.
/// </summary>
public sealed class WorkerRegistry
{
    private readonly List<WorkerEntry> _workers = [];
    private int _nextId = 1;

    public int Count => _workers.Count;

    public IReadOnlyList<WorkerEntry> All => _workers;

    public WorkerEntry Add(IActorRef actor, string name, IWorkerChannel channel)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(channel);
        if (Find(actor) is not null)
        {
            throw new InvalidOperationException($"worker {actor.Path} is already registered");
        }

        var entry = new WorkerEntry(_nextId++, actor, name, channel);
        _workers.Add(entry);
        return entry;
    }

    public WorkerEntry? Find(IActorRef actor) => _workers.Find(w => w.Actor.Equals(actor));

    public WorkerEntry? Find(int id) => _workers.Find(w => w.Id == id);

    public bool Remove(WorkerEntry worker) => _workers.Remove(worker);

    public IReadOnlyList<WorkerEntry> At(Address address) => _workers.FindAll(w => w.Actor.Path.Address.Equals(address));

    /// <summary>The worker that should take the next block (not <paramref name="excludedId"/>), or null when every one is full.</summary>
    public WorkerEntry? NextWithRoom(int excludedId = 0)
    {
        WorkerEntry? best = null;
        foreach (var worker in _workers)
        {
            if (worker.HasRoom && worker.Id != excludedId && (best is null || worker.Outstanding.Count < best.Outstanding.Count))
            {
                best = worker;
            }
        }

        return best;
    }
}
