using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using SegaLearn.Coordinator;
using SegaLearn.Hosting;
using SegaLearn.Protocol;
using SegaLearn.Worker;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// Two actor systems on 127.0.0.1 with ports chosen by the OS, a coordinator node and a worker node, training over
/// real Akka.Remote and the TCP data plane; the result must equal single-process training bit for bit.
/// </summary>
public sealed class LoopbackClusterSpecs : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("segalearn-cache-").FullName;

    public LoopbackClusterSpecs() => Environment.SetEnvironmentVariable("SEGALEARN_CACHE", _cache);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("SEGALEARN_CACHE", null);
        Directory.Delete(_cache, recursive: true);
    }

    // Two workers of one credit share 4 blocks a step (7 microbatches): each is handed its second block after its first
    // result was taken, which the coordinator still reads where the worker wrote it, in the one slot the worker reuses.
    // Without shared memory, two or three workers reduce among themselves (relay, shard owners), two also in the star
    // while the coordinator times both; one alone sends its gradients to the coordinator from its compute thread.
    [Theory]
    [InlineData("digits", false, 1, 2, true)]
    [InlineData("/nowhere/on/the/worker.csv", true, 1, 2, true)]
    [InlineData("digits", false, 2, 1, true)]
    [InlineData("digits", false, 1, 2, false)]
    [InlineData("digits", false, 2, 2, false)]
    [InlineData("digits", false, 3, 1, false)]
    public void Cluster_should_train_to_the_single_process_bits_when_the_worker_builds_or_fetches_the_data(string spec, bool fetched, int workers, int credits, bool sharedMemory)
    {
        var (train, blob, reference) = DigitsTraining.Prepare(spec);

        var expected = DigitsTraining.Train(train, engine: null);
        var node = new ClusterNodeSettings { PublicHost = "127.0.0.1", BindHost = "127.0.0.1" };
        using var engine = ActorTrainingEngines.Cluster(node, minWorkers: workers, reference, blob, onStarted: address => StartWorkers(address, workers, credits, sharedMemory));
        var steps = new List<StepMetrics>();
        engine.StepMeasured += steps.Add;
        var actual = DigitsTraining.Train(train, engine);

        Assert.Equal(expected, actual);
        if (!sharedMemory && workers >= 2)
        {
            // Under peer reduction each version leaves the coordinator once, streamed during the step before, and the shard
            // sums add up to one gradient; a step that follows one in the star (or the first) also sends its version whole.
            // In the star each worker gets the version with its first block and sends a gradient per block. Two workers
            // are timed in both, in turns of 4 steps from peer reduction; three always reduce among themselves.
            var bytes = expected.Length * sizeof(float);
            Assert.True(steps.Count > 8);
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                var expectedBytes = step.PeerReduced
                    ? (i > 0 && steps[i - 1].PeerReduced ? bytes : 2L * bytes, bytes)
                    : ((long)workers * bytes, (long)step.Blocks * bytes);
                Assert.True(expectedBytes == (step.BytesOut, step.BytesIn), $"step {i}: {step}");
            }

            Assert.Equal(workers == 2 ? [true, true, true, true, false] : Enumerable.Repeat(true, 5), steps.Take(5).Select(s => s.PeerReduced));
        }

        Assert.Equal(fetched, File.Exists(Path.Combine(_cache, $"{reference.Sha256}.blob")));
    }

    private static IDisposable StartWorkers(string coordinatorAddress, int workers, int credits, bool sharedMemory)
    {
        var builder = SegaLearnHost.CreateBuilder();
        var seed = SegaLearnHost.NodeAddress(coordinatorAddress, tls: false);
        var node = new ClusterNodeSettings { PublicHost = "127.0.0.1", BindHost = "127.0.0.1", SeedNodes = [seed] };
        var settings = new WorkerSettings { Name = "loopback", Threads = 1, Credits = credits, SharedMemory = sharedMemory };
        builder.Services.AddAkka(SegaLearnHost.SystemName, akka => akka
            .WithSegaLearnCluster(node, ProtocolInfo.WorkerRole)
            .AddSegaLearnWorker(settings, workers, $"{seed}/user/{ProtocolInfo.CoordinatorName}"));
        var host = builder.Build();
        host.Start();
        return host;
    }
}
