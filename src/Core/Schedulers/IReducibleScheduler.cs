namespace SegaLearn.Schedulers;

/// <summary>A scheduler that can apply one decay on demand; <see cref="PlateauLRScheduler"/> drives it.</summary>
public interface IReducibleScheduler : ILearningRateScheduler
{
    /// <summary>Applies one decay to the learning rate now, whatever the epoch.</summary>
    /// <returns>The user-facing message naming the old and the new rate.</returns>
    string Reduce();
}
