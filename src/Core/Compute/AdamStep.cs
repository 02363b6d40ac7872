namespace SegaLearn.Compute;

/// <summary>
/// The scalars of one Adam step: <c>BiasCorrection1 = 1 - β1^t</c>, <c>BiasCorrection2 = 1 - β2^t</c>
/// (computed in double by the optimizer), and <c>Decay</c> = reg_lambda for weights, 0 for biases.
/// </summary>
public readonly record struct AdamStep(float LearningRate, float Beta1, float Beta2, float Epsilon, float Decay, float BiasCorrection1, float BiasCorrection2);
