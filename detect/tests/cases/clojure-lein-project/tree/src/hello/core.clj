(ns hello.core (:gen-class))
(defn -main [& args] (println "hi"))
