using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Worker;

/// <summary>
/// What a worker holds for its job: the offer, the training set and a model replica on its own backend, which the job
/// owns and disposes (stopping the backend's threads) when it is disposed.
/// </summary>
public sealed class WorkerJob : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly Features _features;
    private readonly Targets _targets;
    private readonly BlockGradient _block;
    private readonly Lock _sumGate = new();
    private IComputeBackend? _sumBackend;

    public WorkerJob(JobOffer offer, NetworkArchitecture architecture, Features features, Targets targets, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(offer);
        Offer = offer;
        _backend = backend;
        _features = features;
        _targets = targets;
        var replica = new ModelReplica(architecture, backend, offer.MicrobatchSize, offer.DropoutRate, offer.Seed);
        _block = new BlockGradient(replica, offer.MicrobatchSize, offer.Wire);
        ParameterCount = new ParameterLayout(architecture.LayerSizes).TotalCount;
    }

    public JobOffer Offer { get; }

    /// <summary>
    /// A second instance of the job's backend, on one thread, for the sums of peer reduction: they run on the threads the
    /// pieces arrive on, while the job's own instance may be computing a block. Addition is element by element, so both
    /// instances give the same bits.
    /// </summary>
    public IComputeBackend SumBackend
    {
        get
        {
            lock (_sumGate)
                return _sumBackend ??= Backends.Create(Offer.Backend, 1, $"job {Offer.JobId}");
        }
    }

    /// <summary>Stops the backend's threads; call it once nothing computes on the job any more.</summary>
    public void Dispose()
    {
        _backend.Dispose();
        _sumBackend?.Dispose();
    }

    public int ParameterCount { get; }

    /// <summary>Computes the assigned block at <paramref name="parameters"/> into <paramref name="gradient"/>; returns the loss sum.</summary>
    public double Compute(AssignWork work, ReadOnlySpan<float> parameters, Span<float> gradient) =>
        _block.Compute(parameters, _features, _targets, work.Rows, work.Epoch, work.Step, work.FirstSample, gradient);
}
