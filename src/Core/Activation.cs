using System.Globalization;

namespace SegaLearn;

/// <summary>
/// An activation function and its parameter (<see cref="Alpha"/> is the negative slope of LeakyReLU,
/// 0.01 by default as in the seed).
/// </summary>
public readonly record struct Activation(ActivationKind Kind, float Alpha = 0.01f)
{
    public static Activation Linear => new(ActivationKind.Linear);

    public static Activation ReLU => new(ActivationKind.ReLU);

    public static Activation Tanh => new(ActivationKind.Tanh);

    public static Activation Sigmoid => new(ActivationKind.Sigmoid);

    public static Activation Softmax => new(ActivationKind.Softmax);

    public static Activation LeakyReLU(float alpha = 0.01f) => new(ActivationKind.LeakyReLU, alpha);

    /// <summary>He initialization (sqrt(2/fan_in)) for ReLU and LeakyReLU, sqrt(1/fan_in) otherwise, as in the seed.</summary>
    public bool UsesHeInitialization => Kind is ActivationKind.ReLU or ActivationKind.LeakyReLU;

    /// <summary>
    /// Parses the seed's names: <c>relu</c>, <c>leaky_relu</c> (or <c>leaky_relu:0.1</c>), <c>tanh</c>,
    /// <c>sigmoid</c>, <c>softmax</c>, <c>linear</c> (also <c>none</c>); case-insensitive, <c>-</c> for <c>_</c>.
    /// </summary>
    public static bool TryParse(string text, out Activation activation)
    {
        var name = text.Trim().ToLowerInvariant().Replace('-', '_');
        float alpha = 0.01f;
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!float.TryParse(name[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out alpha)
                || !float.IsFinite(alpha))
            {
                activation = default;
                return false;
            }

            name = name[..colon];
            if (name != "leaky_relu")
            {
                activation = default;
                return false;
            }
        }

        ActivationKind? kind = name switch
        {
            "relu" => ActivationKind.ReLU,
            "leaky_relu" or "leakyrelu" => ActivationKind.LeakyReLU,
            "tanh" => ActivationKind.Tanh,
            "sigmoid" => ActivationKind.Sigmoid,
            "softmax" => ActivationKind.Softmax,
            "linear" or "none" or "identity" => ActivationKind.Linear,
            _ => null,
        };
        activation = kind is { } k ? new Activation(k, alpha) : default;
        return kind is not null;
    }

    /// <summary>Parses a name, throwing <see cref="BadInputException"/> with the accepted names when it is unknown.</summary>
    public static Activation Parse(string text) =>
        TryParse(text, out var activation)
            ? activation
            : throw new BadInputException(
                $"unknown activation '{text}' (expected relu, leaky_relu[:alpha], tanh, sigmoid, softmax or linear)");

    /// <summary>The seed's name, with the slope when it is not the default.</summary>
    public override string ToString() => Kind switch
    {
        ActivationKind.ReLU => "relu",
        ActivationKind.LeakyReLU when Alpha == 0.01f => "leaky_relu",
        ActivationKind.LeakyReLU => "leaky_relu:" + Alpha.ToString("R", CultureInfo.InvariantCulture),
        ActivationKind.Tanh => "tanh",
        ActivationKind.Sigmoid => "sigmoid",
        ActivationKind.Softmax => "softmax",
        _ => "linear",
    };
}
