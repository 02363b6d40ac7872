namespace SegaLearn;

/// <summary>The activation functions of the seed module.</summary>
public enum ActivationKind
{
    Linear,
    ReLU,
    LeakyReLU,
    Tanh,
    Sigmoid,
    Softmax,
}
