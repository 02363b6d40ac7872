namespace SegaLearn.Training;

/// <summary>The single-process engine: one <see cref="ModelReplica"/> computes every microbatch in order.</summary>
public sealed class LocalTrainingEngine : ITrainingEngine
{
    private TrainingJob? _job;
    private ModelReplica? _replica;
    private GradientTree? _tree;

    public string Describe() => _job is null ? "single process" : $"single process, {_job.Backend.Describe()}";

    public void Start(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _job = job;
        _replica = new ModelReplica(job.Architecture, job.Backend, Math.Min(job.MicrobatchSize, job.BatchSize), job.DropoutRate, job.Seed);
        _tree = new GradientTree(job.Backend, new ParameterLayout(job.Architecture.LayerSizes).TotalCount);
    }

    public StepResult ComputeGradient(StepWork work, float[] parameters, long parameterVersion, float[] gradientSum)
    {
        if (_job is null || _replica is null || _tree is null)
        {
            throw new InvalidOperationException("Start must be called before ComputeGradient");
        }

        var rows = work.Rows.Span;
        var count = Microbatch.CountFor(rows.Length, _job.MicrobatchSize);
        double loss = 0;
        for (var i = 0; i < count; i++)
        {
            var microbatch = Microbatch.Get(i, rows.Length, _job.MicrobatchSize);
            loss += _replica.ComputeGradientSum(
                parameters,
                _job.Features,
                _job.Labels,
                rows.Slice(microbatch.Start, microbatch.Count),
                new DropoutKey(work.Epoch, work.Step, microbatch.Start),
                _tree.NextLeaf());
            _tree.Push();
        }

        _tree.Finish(gradientSum);
        return new StepResult(loss, rows.Length);
    }

    public void Dispose()
    {
    }
}
