/// The version of Rehearse that produced a result (recorded in every run's environment).
public enum ToolVersion {
    public static let current = "0.1.0"
}
