using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SegaLearn.Coordinator;
using SegaLearn.Protocol;
using SegaLearn.Worker;

namespace SegaLearn.Hosting;

/// <summary>
/// Starts the actor system an <see cref="ActorTrainingEngine"/> trains through: worker actors in this process, or a
/// cluster node with the coordinator that remote workers join. The engine owns the host and stops it when disposed.
/// </summary>
public static class ActorTrainingEngines
{
    /// <summary>
    /// Starts an actor system in this process with a coordinator and <paramref name="workers"/> worker actors, each
    /// with its own instance of the job's backend on <paramref name="threadsPerWorker"/> threads (default: the cores
    /// shared out between the workers).
    /// </summary>
    public static ActorTrainingEngine InProcess(int workers, int? threadsPerWorker = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        var builder = SegaLearnHost.CreateBuilder();
        var coordinatorSettings = SegaLearnHost.Bind(builder.Configuration, "Coordinator", new CoordinatorSettings()).Validate();
        var workerSettings = SegaLearnHost.Bind(builder.Configuration, "Worker", new WorkerSettings
        {
            Name = "local",
            Threads = threadsPerWorker ?? Math.Max(1, Environment.ProcessorCount / workers),
        });
        builder.Services.AddAkka(SegaLearnHost.SystemName, akka => akka
            .WithSegaLearnLogging(builder.Configuration)
            .AddSegaLearnCoordinator(coordinatorSettings)
            .AddSegaLearnWorker(workerSettings, workers));
        var host = builder.Build();
        host.Start();
        var coordinator = host.Services.GetRequiredService<ActorRegistry>().Get<CoordinatorActor>();
        return new ActorTrainingEngine(
            coordinator, $"{workers} in-process worker(s), {workerSettings.Threads} thread(s) each", workers, owned: new OwnedHost(host), cancellation: cancellation);
    }

    /// <summary>
    /// Starts a cluster node in this process with the coordinator, serving the job to remote workers that join it:
    /// they load the training set named by <paramref name="data"/> or fetch <paramref name="trainingBlob"/> in chunks.
    /// <paramref name="onStarted"/> receives the node's remoting address (host:port) once it listens, e.g. to start
    /// local worker processes; what it returns is owned by the engine. With <paramref name="tls"/>, remoting and the data
    /// plane take only nodes presenting that certificate.
    /// </summary>
    public static ActorTrainingEngine Cluster(
        ClusterNodeSettings node, int minWorkers, DataReference data, byte[] trainingBlob, int dataPlanePort = 0,
        Func<string, IDisposable?>? onStarted = null, CancellationToken cancellation = default, ClusterCertificate? tls = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(data);
        var builder = SegaLearnHost.CreateBuilder();
        node = SegaLearnHost.Bind(builder.Configuration, "Cluster", node with { });
        var coordinatorSettings = SegaLearnHost.Bind(builder.Configuration, "Coordinator", new CoordinatorSettings
        {
            DataPlaneBind = node.BindHost,
            DataPlanePort = dataPlanePort,
        }).Validate();
        builder.Services.AddAkka(SegaLearnHost.SystemName, akka => akka
            .WithSegaLearnLogging(builder.Configuration)
            .WithSegaLearnCluster(node, ProtocolInfo.CoordinatorRole, tls)
            .AddSegaLearnCoordinator(coordinatorSettings, tls));
        var host = builder.Build();
        host.Start();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        if (node.SeedNodes.Count == 0)
        {
            Akka.Cluster.Cluster.Get(system).Join(self);
        }

        var coordinator = host.Services.GetRequiredService<ActorRegistry>().Get<CoordinatorActor>();
        IDisposable? companion = null;
        try
        {
            companion = onStarted?.Invoke($"{self.Host}:{self.Port}");
        }
        catch
        {
            host.StopAsync().GetAwaiter().GetResult();
            host.Dispose();
            throw;
        }

        return new ActorTrainingEngine(
            coordinator, $"coordinator at {self.Host}:{self.Port}, waiting for {minWorkers} worker(s)", minWorkers, data, trainingBlob, new OwnedHost(host, companion), cancellation);
    }
}
