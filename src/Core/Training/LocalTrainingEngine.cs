namespace SegaLearn.Training;

/// <summary>The single-process engine: the whole batch is one block, computed by one <see cref="ModelReplica"/>.</summary>
public sealed class LocalTrainingEngine : ITrainingEngine
{
    private TrainingJob? _job;
    private BlockGradient? _block;

    public string Describe() => _job is null ? "single process" : $"single process, {_job.Backend.Describe()}";

    public void Start(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _job = job;
        var replica = new ModelReplica(job.Architecture, job.Backend, Math.Min(job.MicrobatchSize, job.BatchSize), job.DropoutRate, job.Seed);
        _block = new BlockGradient(replica, job.MicrobatchSize, job.Wire);
    }

    public StepResult ComputeGradient(StepWork work, float[] parameters, long parameterVersion, float[] gradientSum)
    {
        if (_job is null || _block is null)
        {
            throw new InvalidOperationException("Start must be called before ComputeGradient");
        }

        var rows = work.Rows.Span;
        var loss = _block.Compute(parameters, _job.Features, _job.Targets, rows, work.Epoch, work.Step, 0, gradientSum);

        // Issued after this step's compute, so the next batch's rows arrive while the optimizer runs rather than
        // being pushed out of the cache again by this step's working set.
        _job.Features.PrefetchRows(work.NextRows.Span);
        return new StepResult(loss, rows.Length);
    }

    public void Dispose()
    {
    }
}
