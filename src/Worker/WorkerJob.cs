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

    public WorkerJob(JobOffer offer, NetworkArchitecture architecture, Features features, Targets targets, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(offer);
        Offer = offer;
        _backend = backend;
        _features = features;
        _targets = targets;
        var replica = new ModelReplica(architecture, backend, offer.MicrobatchSize, offer.DropoutRate, offer.Seed);
        _block = new BlockGradient(replica, offer.MicrobatchSize);
        ParameterCount = new ParameterLayout(architecture.LayerSizes).TotalCount;
    }

    public JobOffer Offer { get; }

    /// <summary>The job's backend, for the sums of peer reduction; used by one thread at a time, as the compute.</summary>
    public IComputeBackend Backend => _backend;

    /// <summary>Stops the backend's threads; call it once nothing computes on the job any more.</summary>
    public void Dispose() => _backend.Dispose();

    public int ParameterCount { get; }

    /// <summary>Computes the assigned block at <paramref name="parameters"/> into <paramref name="gradient"/>; returns the loss sum.</summary>
    public double Compute(AssignWork work, ReadOnlySpan<float> parameters, Span<float> gradient) =>
        _block.Compute(parameters, _features, _targets, work.Rows, work.Epoch, work.Step, work.FirstSample, gradient);
}
