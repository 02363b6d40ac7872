using SegaLearn.Compute;
using SegaLearn.Data;

namespace SegaLearn.Training;

/// <summary>
/// Everything an engine needs to compute gradients for a training run: the model's shape, the training data
/// (features and what to predict: classes or regression values), the seed that keys the dropout masks, the microbatch size and the largest batch it will be asked for.
/// </summary>
public sealed record TrainingJob(
    NetworkArchitecture Architecture,
    Features Features,
    Targets Targets,
    ulong Seed,
    double DropoutRate,
    int MicrobatchSize,
    int BatchSize,
    IComputeBackend Backend,
    WireFormat Wire = WireFormat.Float32);
