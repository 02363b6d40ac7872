using Akka.Actor;

namespace SegaLearn.Worker;

/// <summary>The data plane delivered the parameters of <see cref="Version"/>; the worker reads <see cref="Parameters"/> until it releases them.</summary>
public sealed record ParametersArrived(long Version, ReadOnlyMemory<float> Parameters) : INoSerializationVerificationNeeded;
