using Akka.Actor;
using SegaLearn.Coordinator;
using SegaLearn.Training;

namespace SegaLearn.Distributed.Tests;

public sealed class WorkerRegistryTests
{
    private static readonly ActorWorkerChannel Channel = new("job", new GradientBufferPool(1));

    [Fact]
    public void NextWithRoom_should_spread_blocks_by_least_outstanding_work_and_respect_credits()
    {
        var registry = new WorkerRegistry();
        var a = registry.Add(ActorRefs.Nobody, "a", Channel);
        var b = registry.Add(new DummyRef("b"), "b", Channel);
        a.Credits = 2;
        b.Credits = 1;

        var picks = new List<string>();
        while (registry.NextWithRoom() is { } worker)
        {
            worker.Assign(picks.Count);
            picks.Add(worker.Name);
        }

        Assert.Equal(["a", "b", "a"], picks);
        Assert.Null(registry.NextWithRoom(excludedId: 0));
        a.Complete(0);
        Assert.Null(registry.NextWithRoom(excludedId: a.Id));
        Assert.Same(a, registry.NextWithRoom());
    }

    [Fact]
    public void TakeOutstanding_should_hand_back_every_block_a_lost_worker_held()
    {
        var registry = new WorkerRegistry();
        var worker = registry.Add(ActorRefs.Nobody, "a", Channel);
        worker.Credits = 3;
        worker.Assign(4);
        worker.Assign(7);
        Assert.True(worker.Complete(4));
        Assert.Equal([7], worker.TakeOutstanding());
        Assert.Empty(worker.Outstanding);
        Assert.True(registry.Remove(worker));
        Assert.Equal(0, registry.Count);
    }

    private sealed class DummyRef(string name) : MinimalActorRef
    {
        public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "test")) / name;

        public override IActorRefProvider Provider => throw new NotSupportedException();
    }
}
