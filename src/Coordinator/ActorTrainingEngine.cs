using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SegaLearn.Protocol;
using SegaLearn.Training;
using SegaLearn.Worker;

namespace SegaLearn.Coordinator;

/// <summary>
/// The engine that trains through a <see cref="CoordinatorActor"/>: on worker actors in this process
/// (<see cref="InProcess"/>) or on a cluster (a coordinator with remote workers). The trainer's thread waits for
/// each step; the coordinator fills the trainer's gradient buffer with the same bits as single-process training.
/// </summary>
public sealed class ActorTrainingEngine : ITrainingEngine
{
    private readonly IActorRef _coordinator;
    private readonly IHost? _host;
    private readonly IDisposable? _companion;
    private readonly DataReference? _data;
    private readonly byte[]? _trainingBlob;
    private readonly int _minWorkers;
    private readonly string _description;
    private readonly CancellationTokenSource _waits;
    private string? _abortReason;
    private readonly System.Diagnostics.Stopwatch _sinceStep = new();
    private StepMetrics? _previous;
    private string? _jobId;
    private SegaLearn.Compute.IComputeBackend? _backend;
    private Func<long, ParameterUpdate, bool>? _writeParameters;
    private int _workers;
    private bool _disposed;

    /// <param name="coordinator">The coordinator actor.</param>
    /// <param name="description">How the engine is described in logs.</param>
    /// <param name="minWorkers">Workers to wait for before the first step.</param>
    /// <param name="data">What remote workers load the training set from; null when only in-process workers take part.</param>
    /// <param name="trainingBlob">The canonical training-set bytes served to workers that cannot build them.</param>
    /// <param name="host">A host the engine owns and stops when disposed.</param>
    /// <param name="cancellation">Stops waiting for workers or a step.</param>
    /// <param name="companion">Something else the engine owns (e.g. worker processes), disposed after the host stops.</param>
    public ActorTrainingEngine(
        IActorRef coordinator, string description, int minWorkers = 1, DataReference? data = null, byte[]? trainingBlob = null,
        IHost? host = null, CancellationToken cancellation = default, IDisposable? companion = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minWorkers);
        _coordinator = coordinator;
        _description = description;
        _minWorkers = minWorkers;
        _data = data;
        _trainingBlob = trainingBlob;
        _host = host;
        _waits = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        _companion = companion;
    }

    /// <summary>
    /// Raised on the trainer's thread with where a step's time went, once the trainer's update after it is timed too:
    /// at the start of the next step, or when the engine is disposed for the last one.
    /// </summary>
    public event Action<StepMetrics>? StepMeasured;

    /// <summary>Blocks reassigned (lost workers) and results rejected (invalid gradients) over the whole job.</summary>
    public (int Reassigned, int Rejected) Totals { get; private set; }

    /// <summary>
    /// Starts an actor system in this process with a coordinator and <paramref name="workers"/> worker actors, each
    /// with its own instance of the job's backend on <paramref name="threadsPerWorker"/> threads (default: the cores
    /// shared out between the workers).
    /// </summary>
    public static ActorTrainingEngine InProcess(int workers, int? threadsPerWorker = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        var builder = SegaLearnHost.CreateBuilder();
        var coordinatorSettings = SegaLearnHost.Bind(builder.Configuration, "Coordinator", new CoordinatorSettings());
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
        return new ActorTrainingEngine(coordinator, $"{workers} in-process worker(s), {workerSettings.Threads} thread(s) each", workers, host: host, cancellation: cancellation);
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
        });
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
            coordinator, $"coordinator at {self.Host}:{self.Port}, waiting for {minWorkers} worker(s)", minWorkers, data, trainingBlob, host, cancellation, companion);
    }

    public string Describe() => _jobId is null ? _description : $"{_description}; job {_jobId} with {_workers} worker(s)";

    public void Start(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var ready = Wait(_coordinator.Ask<JobReady>(new BeginJob(job, _data, _trainingBlob, _minWorkers), _waits.Token));
        _jobId = ready.JobId;
        _workers = ready.Workers;
        _backend = job.Backend;
        _writeParameters = ready.WriteParameters;
    }

    /// <summary>
    /// Runs the trainer's update with the job's shared parameter file as its mirror where local worker processes map
    /// it: the new version is then published in the optimizer's own pass, on its threads, instead of by a copy on the
    /// coordinator's thread at the start of the next step.
    /// </summary>
    public void Update(long version, ParameterUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (_writeParameters?.Invoke(version, update) != true)
        {
            update(default);
        }
    }

    /// <summary>
    /// Runs the step, letting the coordinator apply <paramref name="rangeUpdate"/> as the gradient sum arrives where its
    /// workers reduce among themselves (the new parameters then stream to them during the step); otherwise the whole
    /// <paramref name="update"/> runs after it, as <see cref="Update"/> does.
    /// </summary>
    public StepResult Step(StepWork work, float[] parameters, long parameterVersion, float[] gradientSum, ParameterUpdate update, ParameterRangeUpdate rangeUpdate)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(rangeUpdate);
        var finished = RunStep(new RunStep(work, parameters, parameterVersion, gradientSum, rangeUpdate));
        if (!finished.Updated)
        {
            Update(parameterVersion + 1, update);
        }

        return finished.Result;
    }

    public StepResult ComputeGradient(StepWork work, float[] parameters, long parameterVersion, float[] gradientSum) =>
        RunStep(new RunStep(work, parameters, parameterVersion, gradientSum)).Result;

    private StepFinished RunStep(RunStep run)
    {
        if (_jobId is null)
        {
            throw new InvalidOperationException("Start must be called before ComputeGradient");
        }

        PublishPrevious();
        // The optimizer's kernel threads would spin into the workers' compute, which needs every core.
        _backend?.Rest();
        var finished = Wait(_coordinator.Ask<StepFinished>(run, _waits.Token));
        _previous = finished.Metrics;
        _sinceStep.Restart();
        return finished;
    }

    /// <summary>
    /// Stops waiting for workers or a step with <see cref="TrainingAbortedException"/>: no worker can come any more
    /// (e.g. every local worker process exited). Harmless once training is over.
    /// </summary>
    public void Abort(string reason)
    {
        _abortReason = reason;
        _waits.Cancel();
    }

    private T Wait<T>(Task<T> reply)
    {
        try
        {
            return reply.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException e) when (_abortReason is { } reason)
        {
            throw new TrainingAbortedException(reason, e);
        }
    }

    private void PublishPrevious()
    {
        if (_previous is { } previous)
        {
            _previous = null;
            StepMeasured?.Invoke(previous with { OptimizerMilliseconds = _sinceStep.Elapsed.TotalMilliseconds });
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        PublishPrevious();
        try
        {
            if (_jobId is not null)
            {
                var ended = _coordinator.Ask<JobEnded>(EndJob.Instance, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
                Totals = (ended.Reassigned, ended.Rejected);
            }
        }
        finally
        {
            if (_host is not null)
            {
                _host.StopAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
                _host.Dispose();
            }

            _companion?.Dispose();
            _waits.Dispose();
        }
    }
}
