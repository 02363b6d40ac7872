namespace SegaLearn.Data;

/// <summary>How a data file's label column is read: as classes, or as real values for a regression loss.</summary>
public enum TargetKind
{
    /// <summary>Class labels: non-negative integers are class indices, other texts are class names.</summary>
    Classes,

    /// <summary>Real numbers, one value per row, for MSE, MAE or Huber.</summary>
    Values,
}
