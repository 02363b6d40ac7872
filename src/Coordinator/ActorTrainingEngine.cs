using Akka.Actor;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// The engine that trains through a <see cref="CoordinatorActor"/>: on worker actors in this process or on a cluster
/// (a coordinator with remote workers); SegaLearn.Hosting's <c>ActorTrainingEngines</c> starts either. The trainer's
/// thread waits for each step; the coordinator fills the trainer's gradient buffer with the same bits as
/// single-process training.
/// </summary>
public sealed class ActorTrainingEngine : ITrainingEngine
{
    private readonly IActorRef _coordinator;
    private readonly IDisposable? _owned;
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
    /// <param name="owned">What the engine owns (e.g. the host of its actor system), disposed after the job ends.</param>
    /// <param name="cancellation">Stops waiting for workers or a step.</param>
    public ActorTrainingEngine(
        IActorRef coordinator, string description, int minWorkers = 1, DataReference? data = null, byte[]? trainingBlob = null,
        IDisposable? owned = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minWorkers);
        _coordinator = coordinator;
        _description = description;
        _minWorkers = minWorkers;
        _data = data;
        _trainingBlob = trainingBlob;
        _owned = owned;
        _waits = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
    }

    /// <summary>
    /// Raised on the trainer's thread with where a step's time went, once the trainer's update after it is timed too:
    /// at the start of the next step, or when the engine is disposed for the last one.
    /// </summary>
    public event Action<StepMetrics>? StepMeasured;

    /// <summary>Blocks reassigned (lost workers) and results rejected (invalid gradients) over the whole job.</summary>
    public (int Reassigned, int Rejected) Totals { get; private set; }

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
            _owned?.Dispose();
            _waits.Dispose();
        }
    }
}
